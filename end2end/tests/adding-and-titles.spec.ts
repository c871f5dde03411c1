// "Add Task" in a sprint's columns, and every page's own title.
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { apiAs, signIn, unique } from "./support/fixtures";

test("Add Task at the top of a sprint column creates the task in that column", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Adding"), 20);
  await api.task({ name: unique("Already testing"), sprint: sprint.id, status: 3 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);

  const testing = board.column("In Testing");
  await testing.getByRole("button", { name: "Add Task" }).click();
  const form = testing.getByRole("form", { name: "Add Task to In Testing" });
  const name = unique("Check the export");
  await expect(form.getByLabel("Task Name")).toBeFocused();
  await form.getByLabel("Task Name").fill(name);
  await form.getByRole("button", { name: "Create" }).click();
  await expect(board.cardIn("In Testing", name)).toBeVisible();
  await expect(form).toHaveCount(0);
  // The server has it in the sprint, in testing; the backlog keeps the book's form.
  const tasks = await (await api.http.get(`api/tasks?sprint=${sprint.id}&status=3`)).json();
  expect(tasks.results.map((t: { name: string }) => t.name)).toContain(name);
  await expect(board.column("Backlog").getByRole("button", { name: "Add Task" })).toBeVisible();
  await api.dispose();
});

test("each page has a title of its own, from the server and after moving between pages", async ({ page, browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Titled & named"), 23);
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  await expect(page).toHaveTitle(`${sprint.name} — Scrum Board`);
  await page.getByRole("link", { name: "Your Sprints" }).click();
  await expect(page).toHaveTitle("Your Sprints — Scrum Board");
  await page.getByRole("link", { name: "My tasks" }).click();
  await expect(page).toHaveTitle("My tasks — Scrum Board");

  // Without scripts, the server has written the same titles.
  const bare = await browser.newContext({ javaScriptEnabled: false });
  await signIn(bare, "alice");
  const plain = await bare.newPage();
  await plain.goto(`/sprint/${sprint.id}`);
  await expect(plain).toHaveTitle(`${sprint.name} — Scrum Board`);
  await plain.goto("/sprint/999999999");
  await expect(plain).toHaveTitle("Sprint 999999999 not found — Scrum Board");
  await plain.goto("/login");
  await expect(plain).toHaveTitle("Sign in — Scrum Board");
  await bare.close();
  await api.dispose();
});
