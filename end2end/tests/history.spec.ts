// The change log as people meet it: a task's History tab, the sprint's activity panel updating
// live from another browser, and undo (the toast and Ctrl+Z) putting a moved card back for
// everyone.
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { apiAs, signIn, twoBoards, unique } from "./support/fixtures";

test("the History tab tells who changed what, in sentences", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("History"), 12);
  const task = await api.task({ name: unique("Told"), sprint: sprint.id, status: 1 });
  const bobApi = await apiAs("bob");
  await bobApi.patchTask(task.id, { assigned: "bob" });

  const context = await browser.newContext();
  await signIn(context, "alice");
  const alice = new BoardPage(await context.newPage());
  await alice.goto(sprint.id);
  await alice.dragToColumn(task.name, "In Testing");
  await expect(alice.cardIn("In Testing", task.name)).toBeVisible();

  await alice.open(task.name);
  await alice.dialog.getByRole("tab", { name: "History" }).click();
  const history = alice.dialog.getByRole("list", { name: "History of this task" });
  const lines = history.getByRole("listitem");
  // The tab replaces the form; the Details tab brings it back.
  await expect(alice.dialog.getByLabel("Name")).toBeHidden();
  await expect(lines).toHaveCount(3);
  await expect(lines.nth(0)).toContainText("alice moved this from Not Started to In Testing · just now");
  await expect(lines.nth(1)).toContainText("bob assigned this to bob");
  await expect(lines.nth(2)).toContainText("alice created this");
  await alice.page.screenshot({ path: "test-results/history-tab-light.png" });
  await alice.page.emulateMedia({ colorScheme: "dark" });
  await alice.page.screenshot({ path: "test-results/history-tab-dark.png" });
  await context.close();
  await api.dispose();
  await bobApi.dispose();
});

test("the activity panel follows changes made in another browser", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Activity"), 12);
  const task = await api.task({ name: unique("Watched"), sprint: sprint.id, status: 1 });

  const { alice, bob, aliceContext, bobContext } = await twoBoards(browser, sprint.id);

  await alice.page.getByRole("button", { name: "Activity" }).click();
  const activity = alice.page.getByRole("list", { name: "Recent changes on this sprint" });
  await expect(activity.getByRole("listitem").first()).toContainText(`alice created “${task.name}”`);

  await bob.dragToColumn(task.name, "In Development");
  await expect(activity.getByRole("listitem").first()).toContainText(
    `bob moved “${task.name}” from Not Started to In Development`,
  );
  await expect(activity).toHaveAttribute("aria-live", "polite");
  await alice.page.screenshot({ path: "test-results/activity-light.png" });
  await alice.page.emulateMedia({ colorScheme: "dark" });
  await alice.page.screenshot({ path: "test-results/activity-dark.png" });
  await aliceContext.close();
  await bobContext.close();
  await api.dispose();
});

test("undo puts a moved card back for both people, by the toast and by Ctrl+Z", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Undo"), 12);
  const task = await api.task({ name: unique("Taken back"), sprint: sprint.id, status: 1 });

  const { alice, bob, aliceContext, bobContext } = await twoBoards(browser, sprint.id);

  // The toast's Undo.
  await alice.dragToColumn(task.name, "In Testing");
  const toast = alice.page.locator(".toast");
  await expect(toast).toContainText(`Moved “${task.name}” to In Testing`);
  await expect(bob.cardIn("In Testing", task.name)).toBeVisible();
  await alice.page.screenshot({ path: "test-results/undo-toast-light.png" });
  await toast.getByRole("button", { name: "Undo" }).click();
  await expect(alice.cardIn("Not Started", task.name)).toBeVisible();
  await expect(bob.cardIn("Not Started", task.name)).toBeVisible();
  await expect(bob.cardIn("In Testing", task.name)).toHaveCount(0);

  // Ctrl+Z, then Ctrl+Shift+Z.
  await alice.dragToColumn(task.name, "Completed");
  await expect(bob.cardIn("Completed", task.name)).toBeVisible();
  await expect(toast).toContainText("to Completed");
  await alice.page.emulateMedia({ colorScheme: "dark" });
  await alice.page.screenshot({ path: "test-results/undo-toast-dark.png" });
  // Focus stays on the card that was dragged; the keys work anywhere on the board.
  await alice.card(task.name).press("Control+z");
  await expect(alice.cardIn("Not Started", task.name)).toBeVisible();
  await expect(bob.cardIn("Not Started", task.name)).toBeVisible();
  const undone = await api.getTask(task.id);
  expect(undone.status).toBe(1);
  expect(undone.completed).toBeNull();
  await alice.card(task.name).press("Control+Shift+z");
  await expect(alice.cardIn("Completed", task.name)).toBeVisible();
  await expect(bob.cardIn("Completed", task.name)).toBeVisible();

  await aliceContext.close();
  await bobContext.close();
  await api.dispose();
});
