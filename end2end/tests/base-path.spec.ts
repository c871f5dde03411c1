// The whole site relocated under a prefix (BASE_PATH=/scrum), as behind a reverse proxy that
// serves it at https://example.com/scrum/: sign in through the form, open a board from the
// home page, drag a task, and see it survive a reload. This test runs its own server.
import { expect, test } from "@playwright/test";
import { LoginPage } from "./pages/login-page";
import { BoardPage } from "./pages/board-page";
import { apiAs, PEOPLE, unique, watchProblems } from "./support/fixtures";
import { freshDatabase, healthy, ownServer, stop } from "./support/server";

const database = "target/e2e-base-path.db";
const site = ownServer(3191, database, { BASE_PATH: "/scrum" });

test("under a base path the board signs in, opens, drags and reloads", async ({ browser }) => {
  await freshDatabase(database, ["alice"]);
  const server = site.start();
  try {
    await healthy(site.url);
    const api = await apiAs("alice", site.url);
    const sprint = await api.sprint(unique("Prefixed"), 9);
    const task = await api.task({ name: unique("Relocated task"), sprint: sprint.id });
    await api.dispose();

    // Nothing answers outside the prefix.
    expect((await fetch("http://127.0.0.1:3191/")).status).toBe(404);

    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchProblems(page);
    await page.goto(`${site.url}/`);
    await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
    await new LoginPage(page).login(PEOPLE.alice.username, PEOPLE.alice.password);

    // The home page's tile leads to the board, still under the prefix.
    await page.getByRole("link", { name: new RegExp(sprint.name) }).click();
    await expect(page).toHaveURL(`${site.url}/sprint/${sprint.id}`);
    const board = new BoardPage(page);
    await expect(board.cardIn("Not Started", task.name)).toBeVisible();

    // A drag is saved through the API under the prefix, and reaches a second board live
    // (its websocket is under the prefix too).
    const watcher = new BoardPage(await context.newPage());
    await watcher.page.goto(`${site.url}/sprint/${sprint.id}`);
    await expect(watcher.page.locator(".app")).toHaveAttribute("data-hydrated", "true");
    await expect(watcher.page.locator(".board")).toHaveAttribute("data-link", "open");
    await board.dragToColumn(task.name, "In Development");
    await expect(board.cardIn("In Development", task.name)).toBeVisible();
    await expect(watcher.cardIn("In Development", task.name)).toBeVisible();

    await page.reload();
    await expect(board.cardIn("In Development", task.name)).toBeVisible();
    // The header's link goes home under the prefix.
    await page.getByRole("link", { name: "Your Sprints" }).click();
    await expect(page).toHaveURL(`${site.url}/`);
    expect(problems).toEqual([]);
    await context.close();
  } finally {
    await stop(server);
  }
});
