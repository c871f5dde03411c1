// Finding cards: the filter bar's text, assignee, label and due filters, kept in the address
// (shareable, reloadable, back/forward), with each column counting what it shows.
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { apiAs, isoDate, signIn, unique } from "./support/fixtures";

test("filters by text, assignee, label and due date live in the address", async ({ page, browser }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Find"), 18);
  const label = await (await api.http.post("api/labels", { data: { name: unique("Auth"), colour: "purple" } })).json();
  const tag = unique("x").split(" ")[1];
  const alpha = await api.task({ name: `Alpha login bug ${tag}`, sprint: sprint.id, status: 1, assigned: "alice", labels: [label.id], due: isoDate(-1) });
  const beta = await api.task({ name: `Beta docs ${tag}`, sprint: sprint.id, status: 2, assigned: "bob", due: isoDate(3) });
  const gamma = await api.task({ name: `Gamma page ${tag}`, description: "The LOGIN page", sprint: sprint.id, status: 2 });
  await signIn(page.context(), "alice");
  const board = new BoardPage(page);
  await board.goto(sprint.id);
  const search = page.getByLabel("Filter tasks");
  const inDevelopment = board.column("In Development");

  // `/` from anywhere on the page goes to the search field.
  await page.locator("body").click({ position: { x: 5, y: 300 } });
  await page.keyboard.press("/");
  await expect(search).toBeFocused();
  await page.keyboard.type("login");
  await expect(page).toHaveURL(new RegExp(`/sprint/${sprint.id}\\?q=login$`));
  await expect(board.card(alpha.name)).toBeVisible();
  await expect(board.card(gamma.name)).toBeVisible(); // found by its description, any case
  await expect(board.card(beta.name)).toHaveCount(0);
  await expect(inDevelopment.locator(".count")).toHaveText("1 of 2 tasks");

  await page.getByLabel("Assignee").selectOption({ label: "Me" });
  await expect(page).toHaveURL(/\?q=login&assignee=me$/);
  await expect(board.card(gamma.name)).toHaveCount(0);
  await expect(board.card(alpha.name)).toBeVisible();

  // A reload shows the same board.
  await page.reload();
  await expect(board.card(alpha.name)).toBeVisible();
  await expect(board.card(gamma.name)).toHaveCount(0);
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await expect(page.getByLabel("Assignee")).toHaveValue("me");
  await expect(search).toHaveValue("login");

  // Back steps out of the assignee filter (typing added no history entries of its own).
  await page.goBack();
  await expect(page).toHaveURL(/\?q=login$/);
  await expect(board.card(gamma.name)).toBeVisible();
  await expect(page.getByLabel("Assignee")).toHaveValue("");
  await page.goForward();
  await expect(board.card(gamma.name)).toHaveCount(0);

  await page.getByRole("button", { name: "Clear filters" }).click();
  await expect(page).toHaveURL(new RegExp(`/sprint/${sprint.id}$`));
  await expect(board.card(beta.name)).toBeVisible();
  await expect(inDevelopment.locator(".count")).toHaveText("2 tasks");

  await page.getByLabel("Due", { exact: true }).selectOption({ label: "Overdue" });
  await expect(board.card(alpha.name)).toBeVisible();
  await expect(board.card(beta.name)).toHaveCount(0);
  await page.getByLabel("Due", { exact: true }).selectOption({ label: "Due this week" });
  await expect(board.card(beta.name)).toBeVisible();
  await expect(board.card(alpha.name)).toHaveCount(0);

  // A filtered address is something to share: Bob opens Alice's label filter.
  await page.getByRole("button", { name: "Clear filters" }).click();
  await page.getByLabel("Label", { exact: true }).selectOption({ label: label.name });
  await expect(board.card(alpha.name)).toBeVisible();
  await expect(board.card(gamma.name)).toHaveCount(0);
  const shared = page.url();
  const bobContext = await browser.newContext();
  await signIn(bobContext, "bob");
  const bob = new BoardPage(await bobContext.newPage());
  await bob.page.goto(shared);
  await expect(bob.page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await expect(bob.card(alpha.name)).toBeVisible();
  await expect(bob.card(beta.name)).toHaveCount(0);
  await expect(bob.page.getByLabel("Label", { exact: true })).toHaveValue(String(label.id));
  await bobContext.close();

  // The server renders the board filtered: without any script, the page is already right.
  const bare = await browser.newContext({ javaScriptEnabled: false });
  await signIn(bare, "bob");
  const plain = new BoardPage(await bare.newPage());
  await plain.page.goto(shared);
  await expect(plain.card(alpha.name)).toBeVisible();
  await expect(plain.card(beta.name)).toHaveCount(0);
  await expect(plain.page.getByLabel("Label", { exact: true })).toHaveValue(String(label.id));
  await bare.close();
  await api.dispose();
});
