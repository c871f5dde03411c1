// A board with more tasks than one page of the API holds (100 at most): every card is shown,
// both when the server renders the board and when the browser fetches it (an in-place
// navigation), so a client that stopped following `next` would fail here, not only in the bench.
import { expect, test } from "@playwright/test";
import { BoardPage, type ColumnName } from "./pages/board-page";
import { apiAs, isoDate, signIn, unique } from "./support/fixtures";

/** 250 tasks over three pages of the sprint's list; one column alone spans two pages. */
const SPREAD: [ColumnName, number, number][] = [
  ["Not Started", 1, 130],
  ["In Development", 2, 55],
  ["In Testing", 3, 25],
  ["Completed", 4, 40],
];

test("a board of 250 tasks shows every card, rendered by the server and fetched by the browser", async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Large"));
  const expected = new Map<ColumnName, string[]>();
  for (const [column, status, count] of SPREAD) {
    const names = Array.from({ length: count }, (_, i) => `${column} ${String(i).padStart(3, "0")} of ${sprint.id}`);
    // Ten at a time: quick, and still a real POST per task.
    for (let at = 0; at < names.length; at += 10) {
      await Promise.all(
        names.slice(at, at + 10).map((name) =>
          api.task({ name, sprint: sprint.id, status, ...(status === 4 ? { completed: isoDate(0) } : {}) }),
        ),
      );
    }
    expected.set(column, names.sort());
  }
  await api.dispose();
  await signIn(context, "alice");
  const board = new BoardPage(page);

  const everyCardIsShown = async (how: string) => {
    for (const [column, names] of expected) {
      await expect(board.column(column).locator(".count"), `${how}: ${column}`).toHaveText(`${names.length} tasks`);
      expect((await board.namesIn(column)).sort(), `${how}: ${column}`).toEqual(names);
    }
  };

  // The server renders it: its own API client follows the pages.
  await board.goto(sprint.id);
  await everyCardIsShown("server-rendered");

  // The browser fetches it: leave for home, then follow a link in place (no page load).
  await page.goto("/");
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  await page.evaluate((id) => {
    (window as unknown as { stayed: boolean }).stayed = true;
    const link = document.createElement("a");
    link.href = `/sprint/${id}`;
    link.textContent = "to the large board";
    link.id = "to-large-board";
    document.querySelector("main")!.append(link);
  }, sprint.id);
  await page.locator("#to-large-board").click();
  await expect(board.title).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed), "navigated in place").toBe(true);
  await everyCardIsShown("fetched in the browser");
});
