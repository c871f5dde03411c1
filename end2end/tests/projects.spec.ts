// Projects in a browser: a viewer watches a project's board live and cannot change it; the
// project switcher (the header's project link, then "Your projects") opens another project's
// board; a project's settings page shows its members. Each test has people of its own (invited
// through the administration API), so that choosing a project here changes nobody else's board.
import { type Browser, type BrowserContext, expect, test } from "@playwright/test";
import { seriousViolations } from "./support/axe";
import { type Api, apiAs, isoDate, unique, watchProblems } from "./support/fixtures";
import { BoardPage } from "./pages/board-page";

interface Project {
  id: number;
  name: string;
  key: string;
}

/** A project alice starts (she owns it), with one sprint ending some free day. */
async function projectWithSprint(alice: Api, label: string) {
  const answer = await alice.http.post("api/projects", { data: { name: unique(label) } });
  expect(answer.status(), await answer.text()).toBe(201);
  const project: Project = await answer.json();
  let day = 30 + Math.floor(Math.random() * 3000);
  for (;;) {
    const created = await alice.http.post("api/sprints", {
      data: { name: unique(`${label} sprint`), end: isoDate(day), project: project.id },
    });
    if (created.status() === 400) {
      day += 1;
      continue;
    }
    expect(created.status(), await created.text()).toBe(201);
    return { project, sprint: await created.json() };
  }
}

/** Someone new, invited by alice and signed in in a browser context of their own. */
async function newcomer(browser: Browser, alice: Api, prefix: string): Promise<{ username: string; context: BrowserContext }> {
  const username = `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
  const invited = await alice.http.post("api/admin/users", { data: { username } });
  expect(invited.status(), await invited.text()).toBe(201);
  const link: string = (await invited.json()).password_link.url;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await page.getByLabel("Password", { exact: true }).fill("a lantern by the river");
  await page.getByLabel("Password (again)").fill("a lantern by the river");
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await page.close();
  return { username, context };
}

async function addMember(alice: Api, project: number, user: string, role: string) {
  const answer = await alice.http.post(`api/projects/${project}/members`, { data: { user, role } });
  expect(answer.status(), await answer.text()).toBe(201);
}

test("a viewer watches the board live but cannot change it", async ({ browser }) => {
  const alice = await apiAs("alice");
  const { project, sprint } = await projectWithSprint(alice, "Watched");
  const task = await alice.task({ name: unique("Watched task"), sprint: sprint.id, project: project.id });
  const viewer = await newcomer(browser, alice, "viewer");
  await addMember(alice, project.id, viewer.username, "viewer");

  const page = await viewer.context.newPage();
  const problems = watchProblems(page);
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  await expect(page.locator("article.board")).toHaveClass(/read-only/);
  await expect(board.cardIn("Not Started", task.name)).toBeVisible();
  // Nothing that writes is offered.
  await expect(page.getByRole("button", { name: "Add Task" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Move to…" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Edit Sprint" })).toBeHidden();
  await expect(page.getByRole("button", { name: "Delete Sprint" })).toBeHidden();
  // A drag does not pick the card up: it stays, and so does the task.
  await board.dragToColumn(task.name, "Completed");
  await expect(board.cardIn("Not Started", task.name)).toBeVisible();
  expect((await alice.getTask(task.id)).status).toBe(1);

  // Alice moves it: the viewer sees it move, live.
  const moved = await alice.http.post(`api/tasks/${task.id}/move`, { data: { status: 3, sprint: sprint.id } });
  expect(moved.status(), await moved.text()).toBe(200);
  await expect(board.cardIn("In Testing", task.name)).toBeVisible();
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await seriousViolations(page), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/projects-viewer-${scheme}.png`, fullPage: true });
  }
  expect(problems).toEqual([]);
  await viewer.context.close();
  await alice.dispose();
});

test("the project switcher opens another project's board, and settings show its members", async ({ browser }) => {
  const alice = await apiAs("alice");
  const first = await projectWithSprint(alice, "First");
  const second = await projectWithSprint(alice, "Second");
  const person = await newcomer(browser, alice, "switcher");
  await addMember(alice, first.project.id, person.username, "member");
  await addMember(alice, second.project.id, person.username, "member");

  const page = await person.context.newPage();
  const problems = watchProblems(page);
  await page.goto("/");
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  // The first project joined is the current one: its sprint shows, the other's does not.
  const current = page.getByRole("link", { name: first.project.name });
  await expect(current).toBeVisible();
  await expect(page.getByText(first.sprint.name)).toBeVisible();
  await expect(page.getByText(second.sprint.name)).toHaveCount(0);

  await current.click();
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByRole("heading", { level: 1, name: "Your projects" })).toBeVisible();
  await expect(page).toHaveTitle("Your projects — Scrum Board");
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await seriousViolations(page), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/projects-list-${scheme}.png`, fullPage: true });
  }
  // On a phone: the table folds into rows, nothing runs off the side.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/projects-list-phone.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.getByRole("button", { name: `Open board of ${second.project.name}` }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByRole("link", { name: second.project.name })).toBeVisible();
  await expect(page.getByText(second.sprint.name)).toBeVisible();
  await expect(page.getByText(first.sprint.name)).toHaveCount(0);

  // A member sees the project's settings and members, and may leave, but not manage.
  await page.goto(`/projects/${second.project.id}`);
  await expect(page.getByRole("heading", { level: 1, name: `${second.project.name} — project settings` })).toBeVisible();
  await expect(page.getByRole("row", { name: new RegExp(person.username) })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add member" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Leave ${person.username}` })).toBeVisible();
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await seriousViolations(page), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/projects-settings-member-${scheme}.png`, fullPage: true });
  }
  // On a phone: the table folds into rows, nothing runs off the side.
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: "test-results/projects-settings-member-phone.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
  expect(problems).toEqual([]);
  await person.context.close();
  await alice.dispose();
});

test("an owner manages members on the settings page", async ({ browser }) => {
  const alice = await apiAs("alice");
  const { project } = await projectWithSprint(alice, "Managed");
  const person = await newcomer(browser, alice, "managed");
  await person.context.close();
  const context = await browser.newContext();
  const token = await context.request.post("/api/session", { data: { username: "alice", password: "alice-pass-1" } });
  expect(token.status()).toBe(200);
  const page = await context.newPage();
  const problems = watchProblems(page);
  await page.goto(`/projects/${project.id}`);
  await page.getByLabel("Username").fill(person.username);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Add member" }).click();
  await expect(page.getByRole("status")).toContainText(`${person.username} joins as viewer`);
  const row = page.getByRole("row", { name: new RegExp(person.username) });
  await row.getByLabel(`Role of ${person.username}`).selectOption("member");
  await row.getByRole("button", { name: `Change the role of ${person.username}` }).click();
  await expect(page.getByRole("status")).toContainText(`${person.username} is now member`);
  // Alice cannot leave her project without another owner.
  await page.getByRole("button", { name: "Leave alice" }).click();
  await expect(page.getByRole("alert")).toContainText("needs an owner");
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    expect(await seriousViolations(page), scheme).toEqual([]);
    await page.screenshot({ path: `test-results/projects-settings-owner-${scheme}.png`, fullPage: true });
  }
  // The refused "Leave" answered 400, as a refused form does; nothing else went wrong.
  expect(problems.filter((problem) => !problem.includes("status of 400"))).toEqual([]);
  await context.close();
  await alice.dispose();
});
