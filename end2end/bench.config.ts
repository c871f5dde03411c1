// The board benchmark (not part of `cargo xtask test`): `npx playwright test -c bench.config.ts`
// after `cargo leptos build --release`. It prints its figures; nothing here asserts on time.
import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

export default defineConfig({
  ...base,
  testDir: "./bench",
  testMatch: "**/*.bench.ts",
  timeout: 300_000,
  retries: 0,
});
