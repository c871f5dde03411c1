// What a card says (labels, due date, comments, assignee) and the task dialog's labels,
// comment thread and keyboard behaviour, with a second person watching live.
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { apiAs, isoDate, signIn, twoBoards, unique } from "./support/fixtures";

test("cards show labels, due dates in words, comment counts and the assignee", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Faces"), 15);
  const label = await (await api.http.post("api/labels", { data: { name: unique("Bug"), colour: "red" } })).json();
  const late = await api.task({ name: unique("Late"), sprint: sprint.id, status: 2, due: isoDate(-1), assigned: "alice", labels: [label.id] });
  const soon = await api.task({ name: unique("Soon"), sprint: sprint.id, status: 1, due: isoDate(1) });
  const later = await api.task({ name: unique("Later"), sprint: sprint.id, status: 1, due: isoDate(30) });
  const done = await api.task({ name: unique("Shipped"), sprint: sprint.id, status: 4, due: isoDate(-3), completed: isoDate(0) });
  for (const text of ["first", "second"]) {
    expect((await api.http.post(`api/tasks/${late.id}/comments`, { data: { body: text } })).status()).toBe(201);
  }
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);

  const lateCard = board.card(late.name);
  await expect(lateCard.locator(".label-chip")).toHaveText(label.name);
  await expect(lateCard.locator(".label-chip")).toHaveAttribute("data-colour", "red");
  await expect(lateCard.locator(".due")).toHaveText(/^Overdue: due /);
  await expect(lateCard.locator(".due")).toHaveClass(/overdue/);
  await expect(lateCard.locator(".comment-count")).toHaveText("2 comments");
  await expect(lateCard.getByRole("img", { name: "Assigned to alice" })).toHaveText("A");
  // Everything on the card is in its accessible name, in reading order.
  await expect(lateCard).toHaveAccessibleName(new RegExp(`^${late.name} ${label.name} Overdue: due .* 2 comments Assigned to alice$`));
  await expect(board.card(soon.name).locator(".due")).toHaveText("Due tomorrow");
  await expect(board.card(soon.name).locator(".due")).toHaveClass(/soon/);
  await expect(board.card(later.name).locator(".due")).toHaveText(/^Due [A-Z][a-z]{2} \d+, \d{4}$/);
  await expect(board.card(later.name).locator(".due")).not.toHaveClass(/overdue|soon/);
  // Done is done: a finished task's past due date is not an alarm.
  await expect(board.card(done.name).locator(".due")).not.toHaveClass(/overdue/);
  await api.dispose();
});

test("labels and comments are made in the dialog and reach a second browser live", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Talk"), 16);
  const task = await api.task({ name: unique("Discuss"), sprint: sprint.id, status: 1 });
  const { alice, bob, aliceContext, bobContext } = await twoBoards(browser, sprint.id);
  await expect(alice.presence).toContainText("bob");

  // A new label, made in place and put on the task at once.
  await alice.open(task.name);
  const labelName = unique("Urgent");
  await alice.dialog.getByLabel("New label").fill(labelName);
  await alice.dialog.getByLabel("Colour").selectOption("orange");
  await alice.dialog.getByRole("button", { name: "Add label" }).click();
  await expect(alice.dialog.getByRole("button", { name: labelName })).toHaveAttribute("aria-pressed", "true");
  await expect(bob.card(task.name).locator(".label-chip")).toHaveText(labelName);
  await expect(bob.card(task.name).locator(".label-chip")).toHaveAttribute("data-colour", "orange");

  // A comment with Markdown and a mention picked from the suggestions.
  const box = alice.dialog.getByLabel("Comment", { exact: true });
  await box.fill("Looks **good**, ");
  await box.pressSequentially("@bo");
  const suggestions = alice.dialog.getByRole("listbox", { name: "People" });
  await expect(suggestions.getByRole("option")).toHaveCount(1);
  await expect(suggestions.getByRole("option")).toContainText("@bob");
  await expect(suggestions.getByRole("option")).toHaveAttribute("aria-selected", "true");
  await box.press("Enter");
  await expect(box).toHaveValue("Looks **good**, @bob ");
  await expect(suggestions).toBeHidden();
  await alice.dialog.getByRole("button", { name: "Add comment" }).click();
  const aliceThread = alice.dialog.locator(".thread");
  await expect(aliceThread.locator(".comment-body strong")).toHaveText("good");
  await expect(aliceThread.locator(".comment-body .mention")).toHaveText("@bob");
  await expect(box).toHaveValue("");

  // Bob sees the count on the card, then the thread; his reply reaches Alice's open thread.
  await expect(bob.card(task.name).locator(".comment-count")).toHaveText("1 comment");
  await bob.open(task.name);
  await expect(bob.dialog.locator(".thread .comment-body")).toHaveText(["Looks good, @bob"]);
  await expect(bob.dialog.locator(".thread").getByRole("button", { name: "Edit" })).toHaveCount(0);
  await bob.dialog.getByLabel("Comment", { exact: true }).fill("<script>window.hacked = 1</script> on it");
  await bob.dialog.getByRole("button", { name: "Add comment" }).click();
  await expect(aliceThread.locator(".comment-body")).toHaveText(["Looks good, @bob", "<script>window.hacked = 1</script> on it"]);
  expect(await alice.page.evaluate(() => (window as unknown as { hacked?: number }).hacked)).toBeUndefined();

  // Alice edits and deletes her own; Bob's shows no such buttons to her. Editing loads the
  // comment into the box, which says so.
  const mine = aliceThread.locator(".comment").first();
  await mine.getByRole("button", { name: "Edit" }).click();
  const editBox = alice.dialog.getByLabel("Edit comment");
  await expect(editBox).toHaveValue("Looks **good**, @bob ");
  await expect(editBox).toBeFocused();
  await editBox.fill("Looks great");
  await alice.dialog.getByRole("button", { name: "Save comment" }).click();
  await expect(mine.locator(".comment-body")).toHaveText("Looks great");
  await expect(mine.locator(".when")).toContainText("(edited)");
  await expect(alice.dialog.getByLabel("Comment", { exact: true })).toHaveValue("");
  await expect(aliceThread.locator(".comment").nth(1).getByRole("button", { name: "Edit" })).toHaveCount(0);
  await expect(bob.dialog.locator(".thread .comment-body").first()).toHaveText("Looks great");
  await mine.getByRole("button", { name: "Delete" }).click();
  await expect(aliceThread.locator(".comment")).toHaveCount(1);
  await expect(bob.dialog.locator(".thread .comment")).toHaveCount(1);
  await bob.dialog.getByRole("button", { name: "Close" }).click();
  await expect(bob.card(task.name).locator(".comment-count")).toHaveText("1 comment");

  // Taking the label off again is one click.
  await alice.dialog.getByRole("button", { name: labelName }).click();
  await expect(alice.dialog.getByRole("button", { name: labelName })).toHaveAttribute("aria-pressed", "false");
  await expect(bob.card(task.name).locator(".label-chip")).toHaveCount(0);
  await aliceContext.close();
  await bobContext.close();
  await api.dispose();
});

test("the task dialog keeps the keyboard inside and hands it back on Esc", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Trap"), 17);
  const task = await api.task({ name: unique("Focus"), sprint: sprint.id, status: 1 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  const card = board.card(task.name);
  await card.focus();
  await page.keyboard.press("Enter");
  await expect(board.dialog).toBeVisible();
  const inDialog = () => page.evaluate(() => !!document.activeElement?.closest("[role=dialog]"));
  await expect.poll(inDialog).toBe(true);
  // Round the dialog twice, forwards, then backwards: the focus never leaves it.
  const stops = await board.dialog.evaluate((d) => d.querySelectorAll("button:not([disabled]), input, select, textarea").length);
  for (let i = 0; i < stops * 2; i++) {
    await page.keyboard.press("Tab");
    expect(await inDialog(), `Tab ${i + 1}`).toBe(true);
  }
  for (let i = 0; i < stops + 2; i++) {
    await page.keyboard.press("Shift+Tab");
    expect(await inDialog(), `Shift+Tab ${i + 1}`).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(board.dialog).toBeHidden();
  await expect(card).toBeFocused();
  await api.dispose();
});
