// A server of the tests' own (the release binary on its own port and SQLite file), for tests
// that restart it or run it with another configuration than the shared one.
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { PEOPLE, type Person } from "./fixtures";

export interface OwnServer {
  /** Where the site answers, e.g. `http://127.0.0.1:3191/scrum` (no trailing slash). */
  url: string;
  start(): ChildProcess;
}

/** A fresh database at `database` (relative to the workspace) with `people` as superusers. */
export async function freshDatabase(database: string, people: Person[]) {
  for (const suffix of ["", "-shm", "-wal"]) rmSync(`../${database}${suffix}`, { force: true });
  for (const person of people) {
    const setup = spawn(
      "./target/release/server",
      ["createsuperuser", "--username", person, "--email", `${person}@example.com`],
      {
        cwd: "..",
        env: { ...process.env, DATABASE_URL: `sqlite://${database}?mode=rwc`, SCRUM_PASSWORD: PEOPLE[person].password },
        stdio: "ignore",
      },
    );
    await new Promise((resolve) => setup.once("exit", resolve));
  }
}

/** The release server on `port` with `database`, plus any extra environment. */
export function ownServer(port: number, database: string, env: Record<string, string> = {}): OwnServer {
  const url = `http://127.0.0.1:${port}${env.BASE_PATH ?? ""}`;
  return {
    url,
    start: () =>
      spawn("./target/release/server", [], {
        cwd: "..",
        env: {
          ...process.env,
          DATABASE_URL: `sqlite://${database}?mode=rwc`,
          LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
          LEPTOS_SITE_ROOT: "target/site",
          SECRET_KEY: "own-server-test-key-0123456789abcdefghijklmnopqrstuvwxyz",
          ...env,
        },
        stdio: "ignore",
      }),
  };
}

/** Waits until `url`/healthz answers 200 (10 s at most). */
export async function healthy(url: string) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start`);
}

export async function stop(server: ChildProcess) {
  if (server.exitCode !== null) return;
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
}
