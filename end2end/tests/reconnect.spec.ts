// The live stream survives a server restart: the board says the connection is lost, comes
// back by itself, and shows what changed meanwhile. This test runs its own server.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { apiAs, PEOPLE, unique } from "./support/fixtures";

const port = 3190;
const url = `http://127.0.0.1:${port}`;
const database = "target/e2e-restart.db";

function start(): ChildProcess {
  return spawn("./target/release/server", [], {
    cwd: "..",
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${database}?mode=rwc`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: "target/site",
      SECRET_KEY: "restart-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
    },
    stdio: "ignore",
  });
}

async function healthy() {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not start");
}

async function stop(server: ChildProcess) {
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
}

test("after the server restarts the board reconnects and catches up", async ({ browser }) => {
  for (const suffix of ["", "-shm", "-wal"]) rmSync(`../${database}${suffix}`, { force: true });
  const setup = spawn("./target/release/server", ["createsuperuser", "--username", "alice", "--email", "a@example.com", "--password", PEOPLE.alice.password], {
    cwd: "..",
    env: { ...process.env, DATABASE_URL: `sqlite://${database}?mode=rwc` },
    stdio: "ignore",
  });
  await new Promise((resolve) => setup.once("exit", resolve));

  let server = start();
  try {
    await healthy();
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
    await healthy();
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
