// The Scrum loop on the board: estimates on cards and in totals, a column's work-in-progress
// limit, the burndown (in the server's HTML, then live in two browsers), completing a sprint
// through its dialog, the report page and the project's velocity.
import { expect, type Page, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { type Api, apiAs, isoDate, signIn, twoBoards, unique, watchProblems } from "./support/fixtures";

/** A sprint that starts today (so it is active and its burndown has figures). */
async function activeSprint(api: Api, name: string, extra: Record<string, unknown> = {}) {
  for (let day = 20 + Math.floor(Math.random() * 3000); ; day += 1) {
    const answer = await api.http.post("api/sprints", {
      data: { name, start: isoDate(0), end: isoDate(day), ...extra },
    });
    const body = await answer.text();
    if (answer.status() === 400 && body.includes("already exists")) continue;
    expect(answer.status(), body).toBe(201);
    return JSON.parse(body) as { id: number; project: number };
  }
}

async function shoot(page: Page, name: string) {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `test-results/scrum-${name}-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
  // On a phone: nothing runs off the side.
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: `test-results/scrum-${name}-phone.png`, fullPage: true });
  if (wide) await page.setViewportSize(wide);
}

test("points show on cards and in totals, and a column past its limit says so", async ({ page, context }) => {
  const problems = watchProblems(page);
  await signIn(context, "alice");
  const api = await apiAs("alice");
  const sprint = await activeSprint(api, unique("Estimated"), { goal: "Ship search", wip_limits: { "3": 1 } });
  const a = await api.task({ name: unique("Alpha"), sprint: sprint.id, points: 3 });
  const b = await api.task({ name: unique("Beta"), sprint: sprint.id, points: 0.5 });
  const c = await api.task({ name: unique("Gamma"), sprint: sprint.id, points: 5 });
  for (const task of [a, b]) {
    const moved = await api.http.post(`api/tasks/${task.id}/move`, { data: { sprint: sprint.id, status: 3 } });
    expect(moved.status()).toBe(200);
  }
  const board = new BoardPage(page);
  await board.goto(sprint.id);

  await expect(board.cardIn("In Testing", a.name)).toContainText("3 pts");
  await expect(board.cardIn("In Testing", b.name)).toContainText("0.5 pts");
  await expect(board.column("In Testing").locator(".count")).toHaveText(/^2 tasks · 3.5 pts/);
  const limit = board.column("In Testing").locator(".wip");
  await expect(limit).toHaveText("Over its limit of 1 task.");
  await expect(limit).toHaveClass(/over/);
  await expect(page.locator(".board-header .goal")).toHaveText("Goal: Ship search");
  await expect(page.locator(".board-header .totals")).toHaveText("0 of 3 tasks done · 0 of 8.5 pts");

  // An estimate set in the task's dialog, from the usual scale or typed.
  await board.open(c.name);
  await board.dialog.getByLabel("Story points").fill("8");
  await board.dialog.getByRole("button", { name: "Save" }).click();
  await expect(board.dialog.getByRole("status")).toHaveText("Saved.");
  await board.dialog.getByRole("button", { name: "Close" }).click();
  await expect(board.cardIn("Not Started", c.name)).toContainText("8 pts");
  await expect(page.locator(".board-header .totals")).toHaveText("0 of 3 tasks done · 0 of 11.5 pts");
  expect((await api.getTask(c.id) as unknown as { points: number }).points).toBe(8);

  // The sprint's settings page sets limits, and whether moves past them are refused.
  await page.getByRole("link", { name: "Edit Sprint" }).click();
  await expect(page.getByLabel("In Testing")).toHaveValue("1");
  await shoot(page, "settings");
  // Half a card is no limit: the browser holds the form back (the server says why to others).
  await page.getByLabel("In Development").fill("0.5");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#id_wip_2:invalid")).toHaveCount(1);
  await page.getByLabel("In Development").fill("1");
  await page.getByLabel("Refuse moves past a limit").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  const saved = (await (await api.http.get(`api/sprints/${sprint.id}`)).json()) as { wip_limits: object; wip_strict: boolean };
  expect(saved.wip_limits).toEqual({ "2": 1, "3": 1 });
  expect(saved.wip_strict).toBe(true);
  // A card that leaves In Testing brings it back within its limit; it fills In Development.
  await board.dragToColumn(b.name, "In Development");
  await expect(limit).toHaveText("Limit: 1");
  // Strict now: a second card into In Development is refused, rolled back and explained.
  await board.dragToColumn(c.name, "In Development");
  await expect(board.refusal).toContainText("In Development is at its limit of 1 task.");
  await expect(board.cardIn("Not Started", c.name)).toBeVisible();
  await shoot(page, "board");
  await api.dispose();
  // The refused move is the one request that failed.
  expect(problems.filter((problem) => !problem.includes("400"))).toEqual([]);
});

test("the burndown is in the server's page, moves live in two browsers, and a sprint completes through its dialog", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await activeSprint(api, unique("Burning"));
  const small = await api.task({ name: unique("Small"), sprint: sprint.id, points: 2 });
  const large = await api.task({ name: unique("Large"), sprint: sprint.id, points: 3 });

  // Before any script runs: the chart is in the HTML the server sends.
  const bare = await browser.newContext({ javaScriptEnabled: false });
  await signIn(bare, "alice");
  const html = await (await bare.request.get(`/sprint/${sprint.id}`)).text();
  expect(html).toContain('<svg class="down"');
  expect(html).toContain("5 of 5 points remaining");
  await bare.close();

  const { alice, bob, aliceContext, bobContext } = await twoBoards(browser, sprint.id);
  const summary = (board: BoardPage) => board.page.locator(".burndown-panel .chart-summary");
  await expect(summary(alice)).toContainText("5 of 5 points remaining");
  await alice.dragToColumn(small.name, "Completed");
  await expect(summary(alice)).toContainText("3 of 5 points remaining");
  await expect(summary(bob)).toContainText("3 of 5 points remaining");
  await expect(summary(bob)).toContainText("2 completed");

  // The burn-up is one click away, without any script of its own.
  await bob.page.getByRole("radio", { name: "Burn-up" }).check();
  await expect(bob.page.locator(".burndown-panel svg.up")).toBeVisible();
  await expect(bob.page.locator(".burndown-panel svg.down")).toBeHidden();

  // Complete: the form counts what stays and what moves, and asks where to.
  await alice.page.getByRole("link", { name: "Complete sprint" }).click();
  await expect(alice.page.getByRole("heading", { level: 1 })).toHaveText(/^Complete /);
  const figures = alice.page.locator("dl.figures");
  await expect(figures).toContainText("Done1 task (2 points)");
  await expect(figures).toContainText("Not done1 task (3 points)");
  await expect(alice.page.getByLabel("Move unfinished tasks to")).toHaveValue("backlog");
  await shoot(alice.page, "complete-form");
  await alice.page.getByRole("button", { name: "Complete sprint" }).click();
  await expect(alice.page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await expect(alice.cardIn("Backlog", large.name)).toBeVisible();
  await expect(bob.cardIn("Backlog", large.name)).toBeVisible();
  // Bob's chart was redrawn with the move, and still shows the burn-up he chose.
  await expect(bob.page.locator(".burndown-panel svg.up")).toBeVisible();
  await expect(alice.cardIn("Completed", small.name)).toBeVisible();
  await expect(alice.page.locator(".due-date")).toContainText("Completed");
  await expect(alice.page.getByRole("link", { name: "Reopen sprint" })).toBeVisible();
  await expect(alice.page.getByRole("link", { name: "Edit Sprint" })).toHaveCount(0);
  // Its cards stay: no "Add Task" in its columns, the backlog's still there.
  await expect(alice.column("Not Started").getByRole("button", { name: "Add Task" })).toBeHidden();
  await expect(alice.column("Backlog").getByRole("button", { name: "Add Task" })).toBeVisible();
  const moved = (await api.getTask(large.id)) as unknown as { sprint: number | null; status: number };
  expect([moved.sprint, moved.status]).toEqual([null, 1]);
  await shoot(alice.page, "completed-board");

  // The report: what was committed and what came of it.
  await alice.page.getByRole("link", { name: "Sprint report" }).click();
  await expect(alice.page.getByRole("heading", { level: 1 })).toContainText("sprint report");
  await expect(alice.page.locator(".completion")).toHaveText("40% of the planned points completed.");
  await expect(alice.page.locator("dl.figures")).toContainText("Completed1 task · 2 points");
  await expect(alice.page.locator("dl.figures")).toContainText("Carried over1 task · 3 points");
  await shoot(alice.page, "report");

  // The project's velocity, on its page.
  await alice.page.goto(`/projects/${sprint.project}`);
  await expect(alice.page.locator(".chart.velocity")).toContainText("Velocity");
  await shoot(alice.page, "velocity");
  await aliceContext.close();
  await bobContext.close();
  await api.dispose();
});
