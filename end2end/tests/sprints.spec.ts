// Sprints from the home page: create (errors by their field), edit, delete with confirmation.
import { execFileSync } from "node:child_process";
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { HomePage } from "./pages/home-page";
import { apiAs, freeDay, isoDate, signIn, unique, watchProblems } from "./support/fixtures";

test.beforeEach(async ({ context }) => {
  await signIn(context, "alice");
});

test("create a sprint, then edit and delete it; its tasks go back to the backlog", async ({ page }) => {
  const problems = watchProblems(page);
  const home = new HomePage(page);
  const board = new BoardPage(page);
  await home.goto();
  await home.waitForHydration();

  // A past end date is refused next to the field, and nothing is created.
  const name = unique("Sprint");
  await home.createSprint(name, isoDate(-3), "Ship the board");
  await expect(page.locator("#end-error")).toHaveText("End date cannot be in the past.");
  const end = isoDate(freeDay());
  await page.getByLabel("End Date").fill(end);
  await page.getByRole("button", { name: "Create" }).click();

  // Success goes to the new sprint's board.
  await expect(board.title).toHaveText(name);
  await expect(page.locator(".description")).toHaveText("Ship the board");
  const sprintId = Number(new URL(page.url()).pathname.split("/").pop());

  // The tile is on the home page with its due date.
  await page.getByRole("link", { name: "Your Sprints" }).click();
  await expect(home.tile(name)).toContainText(`DUE BY ${end}`);

  // Edit.
  await home.tile(name).click();
  await page.getByRole("link", { name: "Edit Sprint" }).click();
  const renamed = `${name} (renamed)`;
  await page.getByLabel("Sprint Name").fill(renamed);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(board.title).toHaveText(renamed);
  await page.reload();
  await expect(board.title).toHaveText(renamed);

  // A task in the sprint, then delete the sprint: confirmation first.
  const api = await apiAs("alice");
  const task = await api.task({ name: unique("Orphan"), sprint: sprintId });
  await page.getByRole("button", { name: "Delete Sprint" }).click();
  await expect(page.getByRole("alertdialog")).toContainText("Its tasks go back to the backlog.");
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await expect(home.heading).toBeVisible();
  await expect(home.tile(renamed)).toHaveCount(0);
  expect((await api.getTask(task.id)).sprint).toBeNull();
  await api.dispose();
  expect(problems.filter((p) => !p.includes("400"))).toEqual([]);
});

test("past sprints are one click away", async ({ page }) => {
  // The API refuses past end dates, so this sprint is written straight into the database,
  // as one that simply ended a month ago would be.
  const name = unique("Ended");
  const end = isoDate(-30 - Math.floor(Math.random() * 3000));
  const insert = [
    "import sqlite3, sys",
    "db = sqlite3.connect(sys.argv[1])",
    // In the first project: alice's, the one her board opens on.
    'db.execute(\'INSERT INTO sprints (name, "end", search_key, project_id) VALUES (?, ?, lower(?), (SELECT MIN(id) FROM projects))\', (sys.argv[2], sys.argv[3], sys.argv[2]))',
    "db.commit()",
  ].join("\n");
  execFileSync("python3", ["-c", insert, "../target/e2e.db", name, end]);
  const home = new HomePage(page);
  await home.goto();
  await home.waitForHydration();
  await expect(home.tile(name)).toHaveCount(0);
  await page.getByRole("button", { name: "Show past sprints" }).click();
  const past = page.getByRole("list", { name: "Past sprints" });
  await expect(past.getByRole("link", { name: new RegExp(name) })).toContainText(`DUE BY ${end}`);
  await expect(page.getByRole("button", { name: "Hide past sprints" })).toHaveAttribute("aria-expanded", "true");
});
