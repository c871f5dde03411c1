// One person on a board: adding tasks, dragging them (to a column's end and in front of a
// card), refusals rolled back, keyboard moves, and editing a task in place.
import { expect, test } from "@playwright/test";
import { BoardPage, COLUMNS } from "./pages/board-page";
import { HomePage } from "./pages/home-page";
import { contrast, luminance, shownColours } from "./support/colours";
import { type Api, apiAs, isoDate, signIn, type Sprint, unique, watchProblems } from "./support/fixtures";

let api: Api;
let sprint: Sprint;

test.beforeEach(async ({ context }) => {
  await signIn(context, "alice");
  api = await apiAs("alice");
  sprint = await api.sprint(unique("Board"), 20, "Board tests");
});

test.afterEach(async () => {
  await api.dispose();
});

test("the first response already holds the board, and hydration keeps it", async ({ page }) => {
  const task = await api.task({ name: unique("Server-rendered"), sprint: sprint.id, status: 2 });
  // Without running any script, the HTML has the five labelled columns and the task.
  const html = await (await page.request.get(`/sprint/${sprint.id}`)).text();
  expect(html).toContain(task.name);
  expect(html).not.toContain("Loading");
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  for (const name of COLUMNS) await expect(board.column(name)).toBeVisible();
  await expect(board.cardIn("In Development", task.name)).toBeVisible();
});

test("add a task, drag it to In Development and in front of a card; it stays after reload", async ({ page }) => {
  const problems = watchProblems(page);
  const first = await api.task({ name: unique("First"), sprint: sprint.id, status: 2 });
  const second = await api.task({ name: unique("Second"), sprint: sprint.id, status: 2 });
  const board = new BoardPage(page);
  await board.goto(sprint.id);

  const fresh = unique("Fresh");
  await board.addTask(fresh, "made in the browser");
  await expect(board.cardIn("Backlog", fresh)).toBeVisible();

  // Onto the column: to its end.
  await board.dragToColumn(fresh, "In Development");
  await expect(board.cardIn("In Development", fresh)).toBeVisible();
  expect(await board.namesIn("In Development")).toEqual([first.name, second.name, fresh]);

  // Onto a card: in front of it.
  await board.dragOntoCard(fresh, first.name);
  await expect.poll(() => board.namesIn("In Development")).toEqual([fresh, first.name, second.name]);

  // The server agrees: after a reload the order is the same.
  await page.waitForLoadState("networkidle");
  await page.reload();
  await expect.poll(() => board.namesIn("In Development")).toEqual([fresh, first.name, second.name]);
  expect(problems).toEqual([]);
});

test("a move the server refuses goes back and says why", async ({ page }) => {
  const done = await api.task({ name: unique("Finished"), sprint: sprint.id, status: 4, completed: isoDate(0) });
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  await expect(board.cardIn("Completed", done.name)).toBeVisible();
  await board.dragToColumn(done.name, "Backlog");
  await expect(board.refusal).toContainText("Cannot change the sprint of a completed task.");
  await expect(board.cardIn("Completed", done.name)).toBeVisible();
  await expect(board.cardIn("Backlog", done.name)).toHaveCount(0);
  expect((await api.getTask(done.id)).sprint).toBe(sprint.id);
});

test("a focused card moves with the keyboard and the move is announced", async ({ page }) => {
  const a = await api.task({ name: unique("Key A"), sprint: sprint.id, status: 1 });
  const b = await api.task({ name: unique("Key B"), sprint: sprint.id, status: 1 });
  const board = new BoardPage(page);
  await board.goto(sprint.id);

  await board.card(b.name).focus();
  await page.keyboard.press("ArrowUp");
  await expect.poll(() => board.namesIn("Not Started")).toEqual([b.name, a.name]);
  await expect(board.card(b.name)).toBeFocused();

  await page.keyboard.press("ArrowRight");
  await expect(board.cardIn("In Development", b.name)).toBeVisible();
  await expect(page.locator("[aria-live=polite]")).toContainText(`${b.name} moved to In Development`);
  await expect(board.card(b.name)).toBeFocused();
  await expect.poll(async () => (await api.getTask(b.id)).status).toBe(2);
});

test("edit a task in place: name, description, due date, assignee", async ({ page }) => {
  const task = await api.task({ name: unique("Editable"), sprint: sprint.id });
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  await board.open(task.name);

  const renamed = `${task.name} edited`;
  await board.dialog.getByLabel("Name").fill(renamed);
  await board.dialog.getByLabel("Description").fill("line one\nline two");
  await board.dialog.getByLabel("Due").fill(isoDate(5));
  await board.dialog.getByLabel("Assigned To").selectOption("bob");
  await board.dialog.getByRole("button", { name: "Save" }).click();
  await expect(board.dialog.getByRole("status")).toHaveText("Saved.");
  await board.dialog.getByRole("button", { name: "Close" }).click();

  await expect(board.card(renamed).getByRole("img", { name: "Assigned to bob" })).toBeVisible();
  const stored = await api.getTask(task.id);
  expect(stored).toMatchObject({ name: renamed, description: "line one\nline two", due: isoDate(5), assigned: "bob" });
});

test("a stale edit shows what changed and lets the person reload or overwrite", async ({ page }) => {
  const task = await api.task({ name: unique("Contested"), sprint: sprint.id });
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  await board.open(task.name);
  await board.dialog.getByLabel("Description").fill("mine");

  // Someone else saves first.
  await api.patchTask(task.id, { name: `${task.name} theirs` });
  await board.dialog.getByRole("button", { name: "Save" }).click();
  const conflict = board.dialog.locator(".conflict");
  await expect(conflict).toContainText("Someone else saved this task");
  await expect(conflict).toContainText(`Name: ${task.name} theirs`);

  await conflict.getByRole("button", { name: "Overwrite" }).click();
  await expect(board.dialog.getByRole("status")).toHaveText("Saved.");
  const stored = await api.getTask(task.id);
  expect(stored.name).toBe(task.name);
  expect(stored).toMatchObject({ description: "mine" });

  // And "Reload" takes theirs.
  await api.patchTask(task.id, { description: "theirs again" });
  await board.dialog.getByLabel("Name").fill("never saved");
  await board.dialog.getByRole("button", { name: "Save" }).click();
  await board.dialog.locator(".conflict").getByRole("button", { name: "Reload" }).click();
  await expect(board.dialog.getByLabel("Description")).toHaveValue("theirs again");
  await expect(board.dialog.getByLabel("Name")).toHaveValue(task.name);
});

test("light and dark: the board and home use the scheme's colours, all readable (screenshots kept)", async ({ page }) => {
  for (const [i, status] of [1, 2, 2, 3, 4].entries()) {
    await api.task({
      name: unique(`Shot ${i}`),
      sprint: sprint.id,
      status,
      assigned: "alice",
      due: isoDate(3 + i),
      ...(status === 4 ? { completed: isoDate(0) } : {}),
    });
  }
  const board = new BoardPage(page);
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await board.goto(sprint.id);
    const onBoard = await shownColours(page, {
      "page text": "main",
      "sprint title": "#sprint-title",
      "column heading": ".status h2",
      "task name": ".task-item .task-name",
      "task's due date": ".task-item .due",
      "header link": ".site-nav a",
    });
    await page.screenshot({ path: `test-results/board-${scheme}.png`, fullPage: true });
    await page.goto("/");
    await new HomePage(page).waitForHydration();
    const onHome = await shownColours(page, { heading: "h1", "sprint tile": ".sprints a.sprint" });
    await page.screenshot({ path: `test-results/home-${scheme}.png`, fullPage: true });

    for (const { what, text, background } of [...onBoard, ...onHome]) {
      // WCAG AA for normal text.
      expect(contrast(text, background), `${scheme}: ${what} (${text} on ${background})`).toBeGreaterThanOrEqual(4.5);
    }
    // The page itself, the columns and the cards follow the scheme: dark surfaces under dark.
    const surfaces = onBoard.filter(({ what }) => what !== "header link").map(({ what, background }) => ({ what, background }));
    for (const { what, background } of surfaces) {
      const level = luminance(background);
      if (scheme === "dark") expect(level, `dark: ${what} background ${background}`).toBeLessThan(0.1);
      else expect(level, `light: ${what} background ${background}`).toBeGreaterThan(0.6);
    }
  }
});

test("a card can be moved with a finger (pointer events, no HTML5 drag)", async ({ page }) => {
  const task = await api.task({ name: unique("Touch"), sprint: sprint.id, status: 1 });
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  const card = board.card(task.name);
  const from = (await card.boundingBox())!;
  const to = (await board.column("In Testing").boundingBox())!;
  const start = { x: from.x + from.width / 2, y: from.y + from.height / 2 };
  const end = { x: to.x + to.width / 2, y: to.y + 20 };
  const touch = { pointerType: "touch", pointerId: 7, isPrimary: true, bubbles: true };
  await card.dispatchEvent("pointerdown", { ...touch, clientX: start.x, clientY: start.y });
  for (let step = 1; step <= 5; step++) {
    const x = start.x + ((end.x - start.x) * step) / 5;
    const y = start.y + ((end.y - start.y) * step) / 5;
    await card.dispatchEvent("pointermove", { ...touch, clientX: x, clientY: y });
  }
  await card.dispatchEvent("pointerup", { ...touch, clientX: end.x, clientY: end.y });
  await expect(board.cardIn("In Testing", task.name)).toBeVisible();
  await expect.poll(async () => (await api.getTask(task.id)).status).toBe(3);
  // The lifted finger did not also open the task.
  await expect(board.dialog).toHaveCount(0);
});
