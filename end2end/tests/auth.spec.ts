// Signing in and out: errors by their field, the page asked for, and a logout that ends the
// session on the server.
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { HomePage } from "./pages/home-page";
import { LoginPage } from "./pages/login-page";
import { baseURL } from "../playwright.config";
import { apiAs, PEOPLE, unique, watchProblems } from "./support/fixtures";

test("login, wrong password, logout revokes the session", async ({ page, context }) => {
  const problems = watchProblems(page);
  const home = new HomePage(page);
  const login = new LoginPage(page);
  await home.goto();
  await home.waitForHydration();
  await expect(login.submit).toBeVisible();
  await expect(home.heading).toHaveCount(0);

  await login.login("alice", "not-her-password");
  await expect(login.alert).toHaveText("Unable to login with provided credentials.");

  await login.login(PEOPLE.alice.username, PEOPLE.alice.password);
  await expect(home.heading).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toContainText("alice");

  const cookie = (await context.cookies()).find((c) => c.name === "scrum_session")!;
  expect(cookie.httpOnly).toBe(true);

  await home.logout.click();
  await expect(login.submit).toBeVisible();
  await expect(home.logout).toHaveCount(0);
  // The old cookie is dead on the server, not merely forgotten by this browser.
  const replay = await page.request.get("/api/session", {
    headers: { Cookie: `scrum_session=${cookie.value}` },
  });
  expect(replay.status()).toBe(401);
  // The refused password (400) and the dead session (401) are expected answers.
  expect(problems.filter((p) => !/status of 40[01]/.test(p))).toEqual([]);
});

test("a signed-out visitor of a board lands on it after signing in", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Deep link"));
  const board = new BoardPage(page);
  await page.goto(`/sprint/${sprint.id}`);
  const login = new LoginPage(page);
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await login.login(PEOPLE.bob.username, PEOPLE.bob.password);
  await expect(board.title).toHaveText(sprint.name);
  expect(new URL(page.url()).pathname).toBe(`/sprint/${sprint.id}`);
  await api.dispose();
});

test("/login?next= returns only to paths on this site", async ({ page }) => {
  const login = new LoginPage(page);
  await page.goto("/login?next=//evil.example/steal");
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await login.login(PEOPLE.alice.username, PEOPLE.alice.password);
  await expect(new HomePage(page).heading).toBeVisible();
  // Still on this site: not sent to the host the `next` parameter named.
  expect(new URL(page.url()).host).toBe(new URL(baseURL).host);
  expect(new URL(page.url()).pathname).toBe("/");
});
