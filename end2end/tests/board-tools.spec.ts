// The board's tools beyond dragging: "Add Task" in a sprint's columns, columns whose title and
// count stay in view, the keyboard shortcuts and their sheet, "Move to…", dense cards and
// faded filtered cards; and every page's own title.
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { apiAs, isoDate, signIn, unique } from "./support/fixtures";

test("Add Task at the top of a sprint column creates the task in that column", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Adding"), 20);
  await api.task({ name: unique("Already testing"), sprint: sprint.id, status: 3 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);

  const testing = board.column("In Testing");
  await testing.getByRole("button", { name: "Add Task" }).click();
  const form = testing.getByRole("form", { name: "Add Task to In Testing" });
  const name = unique("Check the export");
  await expect(form.getByLabel("Task Name")).toBeFocused();
  await form.getByLabel("Task Name").fill(name);
  await form.getByRole("button", { name: "Create" }).click();
  await expect(board.cardIn("In Testing", name)).toBeVisible();
  await expect(form).toHaveCount(0);
  // The server has it in the sprint, in testing; the backlog keeps the book's form.
  const tasks = await (await api.http.get(`api/tasks?sprint=${sprint.id}&status=3`)).json();
  expect(tasks.results.map((t: { name: string }) => t.name)).toContain(name);
  await expect(board.column("Backlog").getByRole("button", { name: "Add Task" })).toBeVisible();
  await api.dispose();
});

test("each page has a title of its own, from the server and after moving between pages", async ({ page, browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Titled & named"), 23);
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  await expect(page).toHaveTitle(`${sprint.name} — Scrum Board`);
  await page.getByRole("link", { name: "Your Sprints" }).click();
  await expect(page).toHaveTitle("Your Sprints — Scrum Board");
  await page.getByRole("link", { name: "My tasks" }).click();
  await expect(page).toHaveTitle("My tasks — Scrum Board");

  // Without scripts, the server has written the same titles.
  const bare = await browser.newContext({ javaScriptEnabled: false });
  await signIn(bare, "alice");
  const plain = await bare.newPage();
  await plain.goto(`/sprint/${sprint.id}`);
  await expect(plain).toHaveTitle(`${sprint.name} — Scrum Board`);
  await plain.goto("/sprint/999999999");
  await expect(plain).toHaveTitle("Sprint 999999999 not found — Scrum Board");
  await plain.goto("/login");
  await expect(plain).toHaveTitle("Sign in — Scrum Board");
  await bare.close();
  await api.dispose();
});

test("a column's title and count stay in view while its cards scroll", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Long column"), 25);
  for (let i = 0; i < 30; i++) await api.task({ name: unique(`Card ${i}`), sprint: sprint.id, status: 1 });
  const context = await browser.newContext({ viewport: { width: 1280, height: 700 } });
  await signIn(context, "alice");
  const board = new BoardPage(await context.newPage());
  await board.goto(sprint.id);
  const column = board.column("Not Started");
  const top = async (selector: string) => (await column.locator(selector).boundingBox())!.y;
  const before = { title: await top("h2"), count: await top(".count") };
  await column.evaluate((section) => section.scrollTo(0, section.scrollHeight));
  await expect.poll(() => column.evaluate((section) => section.scrollTop)).toBeGreaterThan(500);
  expect(await top("h2")).toBeCloseTo(before.title, 0);
  expect(await top(".count")).toBeCloseTo(before.count, 0);
  await expect(column.locator(".count")).toHaveText("30 tasks");
  // Nothing scrolled under the count shows through it: the element at its middle is the count.
  const box = (await column.locator(".count").boundingBox())!;
  const hit = await board.page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.className, [box.x + 4, box.y + box.height / 2]);
  expect(hit).toBe("count");
  await context.close();
  await api.dispose();
});

test("keyboard shortcuts: ? lists them, j and k walk the cards, e opens, n adds", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Keys"), 22);
  const one = await api.task({ name: unique("One"), sprint: sprint.id, status: 1 });
  const two = await api.task({ name: unique("Two"), sprint: sprint.id, status: 1 });
  const three = await api.task({ name: unique("Three"), sprint: sprint.id, status: 2 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);

  // `?` opens the sheet; Esc closes it and the focus is back where it was.
  const opener = page.getByRole("button", { name: "Keyboard shortcuts" });
  await opener.focus();
  await page.keyboard.press("?");
  const sheet = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(sheet).toBeVisible();
  await expect(sheet).toContainText("Next or previous card");
  await page.keyboard.press("Escape");
  await expect(sheet).toBeHidden();
  await expect(opener).toBeFocused();
  // The button opens it too, and "Close" closes it.
  await opener.click();
  await expect(sheet).toBeVisible();
  await sheet.getByRole("button", { name: "Close" }).click();
  await expect(sheet).toBeHidden();

  // j and k: down a column, then on into the next.
  await board.card(one.name).focus();
  await page.keyboard.press("j");
  await expect(board.card(two.name)).toBeFocused();
  await page.keyboard.press("j");
  await expect(board.card(three.name)).toBeFocused();
  await page.keyboard.press("k");
  await expect(board.card(two.name)).toBeFocused();

  await page.keyboard.press("e");
  await expect(board.dialog).toBeVisible();
  await expect(board.dialog.getByLabel("Name")).toHaveValue(two.name);
  // While a dialog is open, the keys are not shortcuts.
  await page.keyboard.press("?");
  await expect(sheet).toBeHidden();
  await page.keyboard.press("Escape");
  await expect(board.dialog).toHaveCount(0);

  // n: a new task in the focused card's column; what is typed in it stays there.
  await board.card(three.name).focus();
  await page.keyboard.press("n");
  const form = board.column("In Development").getByRole("form", { name: "Add Task to In Development" });
  await expect(form.getByLabel("Task Name")).toBeFocused();
  await page.keyboard.type("jk?/");
  await expect(form.getByLabel("Task Name")).toHaveValue("jk?/");
  await expect(sheet).toBeHidden();
  await api.dispose();
});

test("Move to… moves a card by keyboard: to a column, within its column, to another sprint", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Moving"), 24);
  const later = await api.sprint(unique("Next one"), 38);
  const first = await api.task({ name: unique("First"), sprint: sprint.id, status: 1 });
  const second = await api.task({ name: unique("Second"), sprint: sprint.id, status: 1 });
  const third = await api.task({ name: unique("Third"), sprint: sprint.id, status: 1 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  const menu = page.getByRole("dialog", { name: `Move “${third.name}”` });

  // Tab from the card to its "Move to…" button (the app adds it to the server's cards once
  // the board is live); Enter opens the menu on the card's place.
  await expect(board.moveButton(third.name)).toBeAttached();
  await board.card(third.name).focus();
  await page.keyboard.press("Tab");
  const button = board.moveButton(third.name);
  await expect(button).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(menu).toBeVisible();
  await expect(menu).toContainText("Now in Not Started, 3 of 3.");
  await expect(menu.getByRole("button", { name: "Not Started" })).toBeDisabled();
  await expect(menu.getByRole("button", { name: "Down one" })).toBeDisabled();
  // Within its column: to the top, announced, and the card keeps the keyboard.
  await menu.getByRole("button", { name: "To the top" }).focus();
  await page.keyboard.press("Enter");
  await expect(menu).toBeHidden();
  expect(await board.namesIn("Not Started")).toEqual([third.name, first.name, second.name]);
  await expect(page.locator("[aria-live=polite]")).toContainText(`${third.name} moved to Not Started, position 1 of 3`);
  await expect(board.card(third.name)).toBeFocused();

  // `m` on the focused card opens the same menu; Esc closes it and changes nothing.
  await page.keyboard.press("m");
  await expect(menu).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(menu).toBeHidden();
  await expect(board.card(third.name)).toBeFocused();
  expect(await board.namesIn("Not Started")).toEqual([third.name, first.name, second.name]);

  // To another column: its end.
  await page.keyboard.press("m");
  await menu.getByRole("button", { name: "In Testing" }).click();
  await expect(board.cardIn("In Testing", third.name)).toBeVisible();
  expect((await api.getTask(third.id)).status).toBe(3);

  // To another sprint that has not ended: the card leaves this board, the next card has the
  // keyboard, and the task is in that sprint, in the same column.
  await board.card(first.name).focus();
  await page.keyboard.press("m");
  const firstMenu = page.getByRole("dialog", { name: `Move “${first.name}”` });
  const elsewhere = firstMenu.getByRole("button", { name: new RegExp(`^${later.name}`) });
  await expect(elsewhere).toBeVisible();
  await expect(firstMenu.getByRole("button", { name: new RegExp(`^${sprint.name}`) })).toHaveCount(0);
  await elsewhere.click();
  await expect(board.card(first.name)).toHaveCount(0);
  await expect(board.card(second.name)).toBeFocused();
  await expect(page.locator("[aria-live=polite]")).toContainText(`${first.name} moved to another sprint.`);
  await expect.poll(async () => (await api.getTask(first.id)).sprint).toBe(later.id);
  expect((await api.getTask(first.id)).status).toBe(1);
  await api.dispose();
});

test("cards can be dense, and cards outside the filter fade instead of hiding; both remembered", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Viewing"), 26);
  const kept = await api.task({ name: unique("Keep me"), sprint: sprint.id, status: 1, due: isoDate(1) });
  const other = await api.task({ name: unique("Other"), sprint: sprint.id, status: 1 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await page.goto(`/sprint/${sprint.id}?q=${encodeURIComponent(kept.name)}`);
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");

  // By default the filter hides what it leaves out.
  await expect(board.card(kept.name)).toBeVisible();
  await expect(board.card(other.name)).toBeHidden();
  await expect(board.column("Not Started").locator(".count")).toHaveText("1 of 2 tasks");

  // Fade: the card stays in its place, outlined, its details put away.
  const remembered = page.waitForResponse((r) => r.url().includes("/preferences?filtered=fade"));
  await page.getByLabel("Filtered cards").selectOption("Fade");
  await remembered;
  await expect(board.card(other.name)).toBeVisible();
  await expect(board.card(other.name)).toHaveCSS("border-top-style", "dashed");
  await expect(board.card(kept.name)).toHaveCSS("border-top-style", "solid");
  await expect(board.column("Not Started").locator(".count")).toHaveText("1 of 2 tasks");
  expect(await board.namesIn("Not Started")).toEqual([kept.name, other.name]);

  // Dense: the same cards, shorter.
  const comfortable = (await board.card(kept.name).boundingBox())!.height;
  await page.getByLabel("Cards", { exact: true }).selectOption("Dense");
  await expect.poll(async () => (await board.card(kept.name).boundingBox())!.height).toBeLessThan(comfortable * 0.75);

  // Both are on the page the server sends next time: no flash of the other look.
  await page.route("**/*.wasm", (route) => route.abort());
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-density", "dense");
  await expect(page.locator("html")).toHaveAttribute("data-filtered", "fade");
  await expect(board.card(other.name)).toBeVisible();
  await expect(page.getByLabel("Cards", { exact: true })).toHaveValue("dense");
  await page.unroute("**/*.wasm");
  await api.dispose();
});

test("with the filter hiding cards, Move to… counts places among the cards shown", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Filtered moves"), 27);
  const first = await api.task({ name: unique("Shown first"), sprint: sprint.id, status: 1 });
  const hidden = await api.task({ name: unique("Hidden between"), sprint: sprint.id, status: 1 });
  const last = await api.task({ name: unique("Shown last"), sprint: sprint.id, status: 1 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await page.goto(`/sprint/${sprint.id}?q=Shown`);
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await expect(board.card(hidden.name)).toHaveCount(0);

  await board.card(last.name).focus();
  await page.keyboard.press("m");
  const menu = page.getByRole("dialog", { name: `Move “${last.name}”` });
  await expect(menu).toContainText("Now in Not Started, 2 of 2.");
  await menu.getByRole("button", { name: "Up one" }).click();
  // Above the card shown above it, not merely above the hidden one.
  await expect.poll(() => board.namesIn("Not Started")).toEqual([last.name, first.name, hidden.name]);
  await expect(board.card(last.name)).toBeFocused();
  await api.dispose();
});
