// Playwright runs the release server built by `cargo leptos build --release` on a throw-away
// SQLite file, and drives Debian's Chromium (never a downloaded browser).
import { defineConfig } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = process.env.BASE_URL ?? `http://127.0.0.1:${port}`;
// The client-side (Trunk) build, served as static files on an origin of its own; it was
// built with SCRUM_API_ORIGIN set to `baseURL` (`cargo xtask test` does so).
const staticPort = Number(process.env.E2E_STATIC_PORT ?? 3180);
export const staticURL = `http://127.0.0.1:${staticPort}`;

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  // A flaky test is a bug to fix, not to retry.
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    browserName: "chromium",
    headless: true,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "system-chromium", use: { colorScheme: "light" } },
  ],
  webServer: process.env.NO_WEBSERVER
    ? undefined
    : [
        {
          // Exactly what a deployer runs: the release binary and a few variables.
          // Two people for the multi-user tests, then the server as a deployer runs it.
          command:
            "rm -f target/e2e.db target/e2e.db-shm target/e2e.db-wal" +
            " && ./target/release/server migrate" +
            " && ./target/release/server createsuperuser --username alice --email alice@example.com --password alice-pass-1" +
            " && ./target/release/server createsuperuser --username bob --email bob@example.com --password bob-pass-1" +
            " && exec ./target/release/server",
          cwd: "..",
          url: `${baseURL}/healthz`,
          reuseExistingServer: false,
          timeout: 60_000,
          env: {
            DATABASE_URL: "sqlite://target/e2e.db",
            LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
            LEPTOS_SITE_ROOT: "target/site",
            // The static build's pages use this server's API with their visitor's session.
            CORS_ALLOWED_ORIGINS: staticURL,
          },
        },
        {
          command: `node end2end/static/serve.mjs target/trunk-dist ${staticPort}`,
          cwd: "..",
          url: `${staticURL}/.ready`,
          reuseExistingServer: false,
          timeout: 10_000,
        },
      ],
});
