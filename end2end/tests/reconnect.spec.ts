// The live stream survives a server restart: the board says the connection is lost, comes
// back by itself, and shows what changed meanwhile. This test runs its own server.
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { apiAs, PEOPLE, unique } from "./support/fixtures";
import { freshDatabase, healthy, ownServer, stop } from "./support/server";

const database = "target/e2e-restart.db";
const site = ownServer(3190, database);
const url = site.url;
const start = site.start;

test("after the server restarts the board reconnects and catches up", async ({ browser }) => {
  await freshDatabase(database, ["alice"]);

  let server = start();
  try {
    await healthy(url);
    const api = await apiAs("alice", url);
    const sprint = await api.sprint(unique("Restart"), 9);
    const task = await api.task({ name: unique("Survivor"), sprint: sprint.id });
    await api.dispose();

    const context = await browser.newContext({ baseURL: url });
    const login = await context.request.post("/api/session", { data: PEOPLE.alice });
    expect(login.status()).toBe(200);
    const board = new BoardPage(await context.newPage());
    await board.goto(sprint.id);
    await expect(board.cardIn("Not Started", task.name)).toBeVisible();

    await stop(server);
    await expect(board.offline).toContainText("Connection lost");

    server = start();
    await healthy(url);
    // Changed while this board was disconnected (or right after): it must show up.
    const again = await apiAs("alice", url);
    await again.patchTask(task.id, { name: `${task.name} after restart` });
    await again.dispose();
    await expect(board.offline).toHaveCount(0, { timeout: 20_000 });
    await expect(board.card(`${task.name} after restart`)).toBeVisible({ timeout: 20_000 });
    await context.close();
  } finally {
    await stop(server);
  }
});
