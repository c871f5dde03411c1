// The account administration in a browser: a site administrator invites a colleague on the
// Accounts page, the colleague opens the link in another browser, chooses a password and lands
// signed in; deactivating them ends that browser's session. The page is the server's own
// (no script), reached from the header, and after signing in when asked.
import { expect, test } from "@playwright/test";
import { seriousViolations } from "./support/axe";
import { PEOPLE, signIn, watchProblems } from "./support/fixtures";
import { LoginPage } from "./pages/login-page";

test("an administrator invites a colleague, who signs up with the link in another browser", async ({ browser }) => {
  const admin = await browser.newContext();
  await signIn(admin, "alice");
  const page = await admin.newPage();
  const problems = watchProblems(page);
  await page.goto("/");
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  // Administration is found through "Your account".
  await page.getByRole("link", { name: /Signed in as/ }).click();
  await expect(page).toHaveURL(/\/account$/);
  await page.getByRole("link", { name: "Accounts" }).click();
  await expect(page).toHaveURL(/\/admin\/accounts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Accounts" })).toBeVisible();
  await expect(page).toHaveTitle("Accounts — Scrum Board");

  const colleague = `carol${Date.now().toString(36)}`;
  await page.getByLabel("Username").fill(colleague);
  await page.getByLabel("Email (optional)").fill(`${colleague}@example.com`);
  await page.getByRole("button", { name: "Invite" }).click();
  await expect(page.getByRole("status")).toContainText(`${colleague} is invited`);
  const link = await page.getByLabel(`Link for ${colleague}`).inputValue();
  expect(link).toMatch(/\/password\/[0-9a-f]{48}$/);
  const row = page.getByRole("row", { name: new RegExp(`^${colleague}\\b`) });
  await expect(row.getByRole("cell", { name: "Invited" })).toBeVisible();
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await seriousViolations(page), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/accounts-${scheme}.png`, fullPage: true });
  }

  // The colleague, in a browser of their own.
  const theirs = await browser.newContext();
  const invited = await theirs.newPage();
  await invited.goto(link);
  await expect(invited.getByRole("heading", { level: 1, name: "Choose your password" })).toBeVisible();
  await expect(invited.getByLabel("Username")).toHaveValue(colleague);
  expect(await seriousViolations(invited)).toEqual([]);
  await invited.screenshot({ path: "test-results/accounts-invited.png", fullPage: true });
  await invited.getByLabel("Password", { exact: true }).fill("a lantern by the river");
  await invited.getByLabel("Password (again)").fill("a lantern by the river");
  await invited.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(invited).toHaveURL(/\/$/);
  await expect(invited.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await expect(invited.getByText("Signed in as")).toContainText(colleague);
  // Not an administrator: "Your account" has no Accounts link.
  await invited.getByRole("link", { name: /Signed in as/ }).click();
  await expect(invited.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  await expect(invited.getByRole("link", { name: "Accounts" })).toHaveCount(0);
  // The link is used up.
  expect((await theirs.request.get(link)).status()).toBe(404);

  // Deactivated, their browser is signed out. (Not a reload: that would send the invitation
  // form again, as browsers do with the page a form answered.)
  await page.goto("/admin/accounts");
  await expect(row.getByRole("cell", { name: "Active", exact: true })).toBeVisible();
  await row.getByRole("button", { name: `Deactivate ${colleague}` }).click();
  await expect(page.getByRole("status")).toContainText(`${colleague} is deactivated`);
  await expect(row.getByRole("cell", { name: "Deactivated" })).toBeVisible();
  expect((await theirs.request.get("/api/session")).status()).toBe(401);
  await invited.reload();
  await expect(new LoginPage(invited).submit).toBeVisible();

  expect(problems).toEqual([]);
  await theirs.close();
  await admin.close();
});

test("the Accounts page asks for a sign-in first, then opens", async ({ page }) => {
  await page.goto("/admin/accounts");
  await expect(page).toHaveURL(/\/login\?next=%2Fadmin%2Faccounts$/);
  const login = new LoginPage(page);
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await login.login(PEOPLE.alice.username, PEOPLE.alice.password);
  await expect(page).toHaveURL(/\/admin\/accounts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Accounts" })).toBeVisible();
});

test("Your account: a name others see, a token whose key is shown once", async ({ browser }) => {
  // Bob, so that Alice's name stays as the other tests expect it.
  const context = await browser.newContext();
  await signIn(context, "bob");
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto("/");
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await page.getByRole("link", { name: /Signed in as/ }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your account" })).toBeVisible();
  await expect(page.getByText("this browser")).toBeVisible();

  const token = `export ${Date.now().toString(36)}`;
  await page.getByLabel("Name", { exact: true }).fill(token);
  await page.getByLabel("Expires").selectOption({ label: "In 30 days" });
  await page.getByRole("button", { name: "Make token" }).click();
  await expect(page.getByRole("status")).toContainText("Copy its key now");
  const key = await page.getByLabel(`Key of “${token}”`).inputValue();
  expect(key).toMatch(/^[0-9a-f]{40}$/);
  const asScript = await context.request.get("/api/me", { headers: { Authorization: `Token ${key}` } });
  expect((await asScript.json()).username).toBe("bob");
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await seriousViolations(page), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/account-${scheme}.png`, fullPage: true });
  }
  await page.getByRole("button", { name: `Revoke ${token}` }).click();
  await expect(page.getByRole("status")).toContainText("The token is revoked");
  expect((await context.request.get("/api/me", { headers: { Authorization: `Token ${key}` } })).status()).toBe(401);

  await page.getByLabel("First name").fill("Robert");
  await page.getByLabel("Last name").fill("Builder");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("status")).toHaveText("Your profile is saved.");
  await page.getByRole("link", { name: "Board", exact: true }).click();
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByRole("link", { name: /Signed in as/ })).toContainText("Robert Builder");
  // Back to how the other tests know him.
  await page.goto("/account");
  await page.getByLabel("First name").fill("");
  await page.getByLabel("Last name").fill("");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByRole("status")).toHaveText("Your profile is saved.");
  expect(problems).toEqual([]);
  await context.close();
});
