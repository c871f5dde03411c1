// The client-side (Trunk) build on an origin of its own, served by a plain static file server:
// it signs in, reads and changes a board through the API on the server's origin (CORS with
// credentials, writes carrying the session's CSRF token), follows the live stream from there,
// fills in "My tasks" itself, and sends people to the server for the server's own pages.
import { expect, test } from "@playwright/test";
import { baseURL, staticURL } from "../playwright.config";
import { BoardPage } from "./pages/board-page";
import { HomePage } from "./pages/home-page";
import { LoginPage } from "./pages/login-page";
import { apiAs, PEOPLE, unique, watchProblems } from "./support/fixtures";

test("the static build works against the API on another origin", async ({ browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Static"), 15);
  const task = await api.task({ name: unique("Ship it"), sprint: sprint.id, status: 1, assigned: "alice" });
  const other = await api.task({ name: unique("Other"), sprint: sprint.id, status: 1 });

  const context = await browser.newContext({ baseURL: staticURL });
  const page = await context.newPage();
  const problems = watchProblems(page);
  const calls: { method: string; url: string; csrf?: string }[] = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/")) {
      calls.push({ method: request.method(), url: request.url(), csrf: request.headers()["x-csrftoken"] });
    }
  });
  const sockets: string[] = [];
  page.on("websocket", (socket) => sockets.push(socket.url()));

  // The static host's page: no server-rendered markup, the app renders itself (no hydration).
  const served = await page.goto("/");
  expect(await served!.text()).not.toContain("Your Sprints");
  const home = new HomePage(page);
  await home.waitForHydration();
  await new LoginPage(page).login(PEOPLE.alice.username, PEOPLE.alice.password);
  await expect(home.heading).toBeVisible();
  await expect(page).toHaveURL(`${staticURL}/`);

  // The board, opened in place from the home page's tile.
  await home.tile(sprint.name).click();
  await expect(page).toHaveURL(`${staticURL}/sprint/${sprint.id}`);
  const board = new BoardPage(page);
  await expect(board.cardIn("Not Started", task.name)).toBeVisible();
  await expect(board.presence).toContainText("alice");

  // A move is a write on the server's origin, carrying the CSRF token, and it is kept.
  await board.dragToColumn(task.name, "In Testing");
  await expect(board.cardIn("In Testing", task.name)).toBeVisible();
  await expect.poll(async () => (await api.getTask(task.id)).status).toBe(3);
  // (Signing in is the one write before there is a session, and so a token.)
  const writes = calls.filter((call) => call.method !== "GET" && !call.url.endsWith("/api/session"));
  expect(writes.length).toBeGreaterThan(0);
  for (const write of writes) {
    expect(write.url.startsWith(`${baseURL}/api/`), write.url).toBe(true);
    expect(write.csrf, `${write.method} ${write.url}`).toMatch(/^[0-9a-f]{32}$/);
  }
  expect(calls.every((call) => call.url.startsWith(`${baseURL}/api/`))).toBe(true);

  // The live stream comes from the server's origin: a change made elsewhere shows up.
  expect(sockets.length).toBeGreaterThan(0);
  const socket = new URL(sockets[0]);
  expect(`${socket.protocol}//${socket.host}${socket.pathname}`).toBe(`${baseURL.replace("http", "ws")}/socket`);
  expect(socket.searchParams.get("sprint")).toBe(String(sprint.id));
  await api.patchTask(other.id, { name: `${other.name} renamed` });
  await expect(board.card(`${other.name} renamed`)).toBeVisible();

  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `test-results/static-build-board-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
  // At phone width nothing runs off the side.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/static-build-board-phone.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  // The server's own pages and downloads live on the server, and the session holds there.
  const report = page.getByRole("link", { name: "Sprint report" });
  await expect(report).toHaveAttribute("href", `${baseURL}/sprints/${sprint.id}/report`);
  await expect(page.getByRole("link", { name: "Sprint CSV" })).toHaveAttribute(
    "href",
    `${baseURL}/api/tasks?format=csv&sprint=${sprint.id}`,
  );
  await report.click();
  await expect(page).toHaveURL(`${baseURL}/sprints/${sprint.id}/report`);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(sprint.name);
  await page.goBack();
  await expect(page).toHaveURL(`${staticURL}/sprint/${sprint.id}`);

  // "My tasks", which the server renders for its own site, is filled in here by the app.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My tasks" }).click();
  await expect(page).toHaveURL(`${staticURL}/my-tasks`);
  await expect(page.getByRole("list", { name: sprint.name })).toContainText(task.name);
  await page.screenshot({ path: "test-results/static-build-my-tasks-light.png", fullPage: true });

  // A theme chosen here outlives a reload (the static host has no cookies to read).
  const remembered = page.waitForResponse((response) => response.url().startsWith(`${baseURL}/preferences`));
  await page.getByLabel("Theme").selectOption("dark");
  expect((await remembered).status()).toBe(204);
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  await expect(page.getByLabel("Theme")).toHaveValue("dark");
  await page.screenshot({ path: "test-results/static-build-my-tasks-dark.png", fullPage: true });

  // Signing out ends the session on the server: a reload shows the login form.
  await home.logout.click();
  await page.reload();
  await expect(page.getByRole("button", { name: "Login" })).toBeVisible();
  const session = await page.evaluate(async (url) => (await fetch(url, { credentials: "include" })).status, `${baseURL}/api/session`);
  expect(session).toBe(401);

  // Asking who is signed in while nobody is (401) is an expected answer.
  expect(problems.filter((problem) => !/status of 401/.test(problem))).toEqual([]);
  await context.close();
  await api.dispose();
});
