// The design: the "Theme" control (System, Light, Dark, High contrast) applied at once and
// painted by the server on the next page, with or without the app's script; and an
// accessibility scan (axe-core, injected into the page) of every main view in light and dark.
// Screenshots of each view are kept in test-results/ as artifacts.
import { expect, type Page, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { HomePage } from "./pages/home-page";
import { seriousViolations } from "./support/axe";
import { shownColours, luminance, contrast } from "./support/colours";
import { apiAs, isoDate, signIn, unique, watchProblems } from "./support/fixtures";

/** The page's own background (the canvas the views sit on). */
async function canvas(page: Page) {
  const [shown] = await shownColours(page, { page: "body" });
  return shown.background;
}

test("the Theme control applies at once, and the server paints the next page in it", async ({ page, context }) => {
  const problems = watchProblems(page);
  await signIn(context, "alice");
  const home = new HomePage(page);
  await home.goto();
  await home.waitForHydration();
  const theme = page.getByLabel("Theme");
  await expect(theme).toHaveValue("system");

  const remembered = page.waitForResponse((r) => r.url().includes("/preferences?theme=dark"));
  await theme.selectOption({ label: "Dark" });
  expect(luminance(await canvas(page)), "dark at once").toBeLessThan(0.05);
  expect((await remembered).status()).toBe(204);

  // The next page, with the app's script kept out: the server's HTML and the style sheet
  // alone paint it dark, so there is no light flash before the script runs.
  const beforeBlocking = problems.length;
  await page.route(/\.(wasm|js)$/, (route) => route.abort());
  const response = await page.reload();
  const html = await response!.text();
  expect(html).toContain('data-theme="dark"');
  expect(html).toContain('<option value="dark" selected');
  expect(luminance(await canvas(page)), "dark from the first byte").toBeLessThan(0.05);
  await expect(page.getByLabel("Theme")).toHaveValue("dark");
  await page.unroute(/\.(wasm|js)$/);
  // What the blocked load reported (the script failing to load) is the test's own doing.
  problems.splice(beforeBlocking);

  // High contrast: black, white text.
  await page.reload();
  await home.waitForHydration();
  await page.getByLabel("Theme").selectOption({ label: "High contrast" });
  const [heading] = await shownColours(page, { heading: "h1" });
  expect(heading.background).toEqual([0, 0, 0]);
  expect(heading.text).toEqual([255, 255, 255]);

  // System follows the operating system's setting, both ways, and is remembered too.
  const system = page.waitForResponse((r) => r.url().includes("/preferences?theme=system"));
  await page.getByLabel("Theme").selectOption({ label: "System" });
  await system;
  await page.emulateMedia({ colorScheme: "dark" });
  expect(luminance(await canvas(page))).toBeLessThan(0.05);
  await page.emulateMedia({ colorScheme: "light" });
  expect(luminance(await canvas(page))).toBeGreaterThan(0.8);
  await page.reload();
  await expect(page.getByLabel("Theme")).toHaveValue("system");
  expect(problems).toEqual([]);
});


/** A sprint with cards in every column, every label colour, and a backlog card with comments:
 * what the scans below look at. */
async function seedScannedBoard() {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Scanned"), 10, "Ship the scanner");
  // Every label colour, so each chip's contrast is scanned.
  const labels = [];
  for (const colour of ["grey", "red", "orange", "yellow", "green", "teal", "blue", "purple", "pink"]) {
    const answer = await api.http.post("api/labels", { data: { name: unique(colour), colour } });
    labels.push((await answer.json()).id);
  }
  for (const [i, status] of [1, 2, 2, 3, 4].entries()) {
    await api.task({
      name: unique(`Card ${i}`),
      sprint: sprint.id,
      status,
      assigned: i % 2 ? "alice" : "bob",
      due: isoDate(i - 1),
      labels: labels.slice(i * 2, i * 2 + 2),
      ...(status === 4 ? { completed: isoDate(0) } : {}),
    });
  }
  const backlog = await api.task({ name: unique("Backlog card"), description: "Details *here*", labels: [labels[8]] });
  for (const body of ["Can we **ship** this by Friday, @bob?", "Yes: `cargo xtask test` is green.\n\n- one\n- two"]) {
    await api.http.post(`api/tasks/${backlog.id}/comments`, { data: { body } });
  }
  await api.dispose();
  return { sprint, backlog };
}

// One test per scheme and width: each scans and photographs nine views, and together they
// would run close to a test's time limit on a busy machine.
for (const scheme of ["light", "dark"] as const) {
  for (const [viewport, suffix, width] of [
    [{ width: 1280, height: 800 }, "", "desktop"],
    [{ width: 390, height: 800 }, "-phone", "phone"],
  ] as const) {
    test(`${scheme}, ${width} width: login, home, board, task dialog and My tasks pass an accessibility scan (screenshots kept)`, async ({ browser }) => {
      const { sprint, backlog } = await seedScannedBoard();
      const context = await browser.newContext({ colorScheme: scheme, viewport });
      const page = await context.newPage();
      const found: Record<string, string[]> = {};

      await page.goto("/login");
      await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
      found.login = await seriousViolations(page);
      await page.screenshot({ path: `test-results/login-${scheme}${suffix}.png`, fullPage: true });

      await signIn(context, "alice");
      const home = new HomePage(page);
      await home.goto();
      await home.waitForHydration();
      found.home = await seriousViolations(page);
      await page.screenshot({ path: `test-results/home-${scheme}${suffix}.png`, fullPage: true });

      const board = new BoardPage(page);
      await board.goto(sprint.id);
      found.board = await seriousViolations(page);
      await page.screenshot({ path: `test-results/board-${scheme}${suffix}.png`, fullPage: true });

      // The keyboard shortcuts sheet.
      await page.getByRole("button", { name: "Keyboard shortcuts" }).click();
      await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeVisible();
      found["shortcuts sheet"] = await seriousViolations(page);
      await page.screenshot({ path: `test-results/shortcuts-${scheme}${suffix}.png` });
      await page.keyboard.press("Escape");
      await expect(page.getByRole("dialog", { name: "Keyboard shortcuts" })).toBeHidden();

      // A sprint column's "Add Task" form, open above its cards.
      await board.column("In Development").getByRole("button", { name: "Add Task" }).click();
      found["add task form"] = await seriousViolations(page);
      await page.screenshot({ path: `test-results/board-add-task-${scheme}${suffix}.png` });
      await board.column("In Development").getByRole("button", { name: "Cancel" }).click();

      // A card's "Move to…" menu, with the sprints it can go to.
      await board.card(backlog.name).hover();
      await board.moveButton(backlog.name).click();
      const menu = page.getByRole("dialog", { name: `Move “${backlog.name}”` });
      await expect(menu.getByText("Loading…")).toHaveCount(0);
      found["move to menu"] = await seriousViolations(page);
      await page.screenshot({ path: `test-results/move-to-${scheme}${suffix}.png` });
      await page.keyboard.press("Escape");
      await expect(menu).toBeHidden();

      await board.open(backlog.name);
      found["task dialog"] = await seriousViolations(page);
      await page.screenshot({ path: `test-results/task-dialog-${scheme}${suffix}.png` });
      await board.dialog.locator(".comments").scrollIntoViewIfNeeded();
      await expect(board.dialog.locator(".thread .comment")).toHaveCount(2);
      found["comment thread"] = await seriousViolations(page);
      await page.screenshot({ path: `test-results/task-thread-${scheme}${suffix}.png` });

      // Every text the scan could not judge (over images, gradients) is still checked here.
      const [title] = await shownColours(page, { "dialog title": ".task-detail h2" });
      expect(contrast(title.text, title.background)).toBeGreaterThanOrEqual(4.5);

      await page.goto("/my-tasks");
      await expect(page.getByRole("heading", { level: 1, name: "My tasks" })).toBeVisible();
      await expect(page.getByRole("list", { name: sprint.name })).toBeVisible();
      found["my tasks"] = await seriousViolations(page);
      await page.screenshot({ path: `test-results/my-tasks-${scheme}${suffix}.png`, fullPage: true });

      // Dense cards, and the cards a filter leaves out faded instead of hidden.
      const origin = new URL(page.url()).origin;
      await context.addCookies([
        { name: "scrum_density", value: "dense", url: origin },
        { name: "scrum_filtered", value: "fade", url: origin },
      ]);
      await page.goto(`/sprint/${sprint.id}?q=Card%201`);
      await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
      await expect(page.locator(".task-item.outside")).not.toHaveCount(0);
      found["dense board, faded cards"] = await seriousViolations(page);
      await page.screenshot({ path: `test-results/board-dense-faded-${scheme}${suffix}.png`, fullPage: true });

      for (const [view, problems] of Object.entries(found)) {
        expect(problems, `${scheme}${suffix} ${view}`).toEqual([]);
      }
      await context.close();
    });
  }
}
