// Home's sprint tiles (grouped, with progress and time left) and "My tasks".
import { expect, test } from "@playwright/test";
import { HomePage } from "./pages/home-page";
import { apiAs, signIn, unique } from "./support/fixtures";

test("home groups sprints and shows each one's progress and time left", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Progress"), 300);
  await api.task({ name: unique("Done one"), sprint: sprint.id, status: 4 });
  await api.task({ name: unique("Open one"), sprint: sprint.id, status: 2 });
  await api.task({ name: unique("Open two"), sprint: sprint.id, status: 1 });
  await signIn(page.context(), "alice");
  const home = new HomePage(page);
  await home.goto();
  const tile = home.tile(sprint.name);
  await expect(tile).toContainText(`DUE BY ${sprint.end}`);
  await expect(tile).toContainText("1 of 3 tasks done");
  const days = Math.round((Date.parse(sprint.end) - Date.parse(new Date().toISOString().slice(0, 10))) / 86_400_000);
  await expect(tile).toContainText(`${days} days left`);
  await expect(tile.locator("progress")).toHaveAttribute("value", "1");
  // Far off, so not the sprint under way: it is among the upcoming ones.
  await expect(page.getByRole("list", { name: "Upcoming sprints" }).getByRole("link", { name: sprint.name })).toBeVisible();
  await expect(page.getByRole("list", { name: "Current sprints" }).getByRole("link")).toHaveCount(1);
  await api.dispose();
});

test("My tasks lists what is assigned to me in current sprints, and links to my cards", async ({ page }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Mine"), 24);
  const mine = await api.task({ name: unique("Write the docs"), sprint: sprint.id, status: 2, assigned: "alice" });
  const done = await api.task({ name: unique("Shipped it"), sprint: sprint.id, status: 4, assigned: "alice" });
  const bobs = await api.task({ name: unique("Bob's work"), sprint: sprint.id, status: 2, assigned: "bob" });
  await signIn(page.context(), "alice");
  await new HomePage(page).goto();
  await page.getByRole("link", { name: "My tasks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My tasks" })).toBeVisible();
  const list = page.getByRole("list", { name: sprint.name });
  await expect(list.getByRole("listitem")).toHaveText([
    new RegExp(`^${mine.name}\\s+In Development`),
    new RegExp(`^${done.name}\\s+Completed`),
  ]);
  await expect(page.getByText(bobs.name)).toHaveCount(0);
  await expect(page.getByRole("link", { name: "My tasks" })).toHaveAttribute("aria-current", "page");

  // The sprint's name opens its board filtered to my cards.
  await page.getByRole("link", { name: sprint.name, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/sprint/${sprint.id}\\?assignee=me$`));
  await expect(page.getByRole("button", { name: new RegExp(`^${mine.name}`) })).toBeVisible();
  await expect(page.getByRole("button", { name: new RegExp(`^${bobs.name}`) })).toHaveCount(0);

  // Served whole by the server too.
  await page.goto("/my-tasks");
  await expect(page.getByRole("list", { name: sprint.name })).toContainText(mine.name);
  await api.dispose();
});
