// The first run, in a browser: a new install with no account sends every page to "Create the
// administrator account"; the form says what will not do, then signs the new administrator in
// on an empty home page, and is gone afterwards. This test runs its own server.
import { expect, test } from "@playwright/test";
import { seriousViolations } from "./support/axe";
import { freshDatabase, healthy, ownServer, stop } from "./support/server";

const database = "target/e2e-first-run.db";
const site = ownServer(3192, database);

test("with no account, the site leads to creating the administrator, who lands signed in", async ({ browser }) => {
  await freshDatabase(database, []);
  const server = site.start();
  try {
    await healthy(site.url);
    for (const scheme of ["light", "dark"] as const) {
      const context = await browser.newContext({ colorScheme: scheme });
      const page = await context.newPage();
      await page.goto(`${site.url}/sprint/1`);
      await expect(page).toHaveURL(`${site.url}/setup`);
      await expect(page.getByRole("heading", { level: 1, name: "Create the administrator account" })).toBeVisible();
      await expect(page).toHaveTitle("Create the administrator account — Scrum Board");
      expect(await seriousViolations(page), scheme).toEqual([]);
      await page.screenshot({ path: `test-results/first-run-${scheme}.png`, fullPage: true });
      await context.close();
    }

    const page = await browser.newPage();
    await page.goto(`${site.url}/`);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Password (again)").fill("short");
    // The browser's own check (minlength) stops this one; the server says the same.
    await page.getByLabel("Password", { exact: true }).evaluate((input: HTMLInputElement) => input.removeAttribute("minlength"));
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByText("It must contain at least 10 characters.")).toBeVisible();
    await expect(page.getByLabel("Username")).toHaveValue("admin");
    await expect(page.getByLabel("Password", { exact: true })).toHaveAttribute("aria-invalid", "true");

    await page.getByLabel("Password", { exact: true }).fill("a long and private phrase");
    await page.getByLabel("Password (again)").fill("a long and private phrase");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL(`${site.url}/`);
    await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
    await expect(page.getByText("Signed in as")).toContainText("admin");
    await page.screenshot({ path: `test-results/first-run-done.png`, fullPage: true });

    // Gone for good, for everyone.
    expect((await fetch(`${site.url}/setup`)).status).toBe(404);
    expect((await fetch(`${site.url}/login`)).status).toBe(200);
    await page.close();
  } finally {
    await stop(server);
  }
});
