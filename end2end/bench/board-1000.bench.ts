// How a board of 1,000 tasks behaves in Chromium: time to an interactive (hydrated) board,
// and how long a move takes to show. Budgets: interactive < 250 ms (median), a move < 50 ms.
import { expect, test } from "@playwright/test";
import { BoardPage } from "../tests/pages/board-page";
import { apiAs, signIn, unique } from "../tests/support/fixtures";

const TASKS = 1000;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

function summary(label: string, samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (process.env.BENCH_SAMPLES) console.log(label, samples.map((s) => s.toFixed(0)).join(" "));
  console.log(`${label}: median ${median.toFixed(1)} ms, min ${sorted[0].toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms (${samples.length} runs)`);
}

test("a board of 1,000 tasks", async ({ page, context }) => {
  const api = await apiAs("alice");
  const sprint = await api.sprint(unique("Thousand"), 30);
  for (let start = 0; start < TASKS; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, TASKS - start) }, (_, i) =>
        api.task({ name: `Task ${start + i}`, sprint: sprint.id, status: 1 + ((start + i) % 4), ...((start + i) % 4 === 3 ? { completed: new Date().toISOString().slice(0, 10) } : {}) }),
      ),
    );
  }
  await signIn(context, "alice");
  const board = new BoardPage(page);

  // Interactive: from navigation start to the app's hydration flag (set by the first effect
  // after hydration, so event handlers are attached). The page says so on its console:
  // nothing of Playwright's may run in the page before then, as its injected script (evaluated
  // on a document's first locator query) takes tens of milliseconds of the main thread, which
  // would be counted as the board's.
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      const app = document.querySelector(".app");
      if (app?.getAttribute("data-hydrated") === "true") {
        (window as unknown as { hydratedAt: number }).hydratedAt = performance.now();
        observer.disconnect();
        console.debug("scrum:hydrated");
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-hydrated"] });
  });
  const loadUntilHydrated = async () => {
    const hydrated = page.waitForEvent("console", { predicate: (message) => message.text() === "scrum:hydrated" });
    await page.goto(`/sprint/${sprint.id}`, { waitUntil: "commit" });
    await hydrated;
  };
  const interactive: number[] = [];
  const firstPaint: number[] = [];
  const responseEnd: number[] = [];
  const parsed: number[] = [];
  const hydration: number[] = [];
  const hydrateCalled: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await loadUntilHydrated();
    await expect(board.column("Completed").locator(".task-item")).toHaveCount(TASKS / 4);
    interactive.push(await page.evaluate(() => (window as unknown as { hydratedAt: number }).hydratedAt));
    firstPaint.push(await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN));
    responseEnd.push(await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).responseEnd));
    parsed.push(await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).domInteractive));
    hydrateCalled.push(await page.evaluate(() => performance.getEntriesByName("scrum:hydrate-start")[0]?.startTime ?? NaN));
    hydration.push(
      await page.evaluate(
        () =>
          (window as unknown as { hydratedAt: number }).hydratedAt -
          (performance.getEntriesByName("scrum:hydrate-start")[0]?.startTime ?? NaN),
      ),
    );
  }
  const pageBytes = await page.evaluate(() => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).decodedBodySize);
  console.log(`page: ${pageBytes} B of HTML for ${TASKS} tasks`);
  summary("HTML received (server-side render of 1,000 tasks)", responseEnd);
  summary("HTML parsed (domInteractive)", parsed);
  summary("first contentful paint (server-rendered board)", firstPaint);
  summary("hydrate() called (HTML parsed, bundle fetched and compiled)", hydrateCalled);
  summary("hydration itself (hydrate() called -> hydrated)", hydration);
  summary("interactive (hydrated)", interactive);

  // A move: keydown on a focused card until its element is in the next column, and until the
  // next frame is painted.
  const moves: number[] = [];
  const painted: number[] = [];
  const ids = await board.column("Not Started").locator(".task-item").evaluateAll((cards) =>
    cards.slice(0, 10).map((card) => card.id),
  );
  for (const id of ids) {
    const [dom, frame] = await page.evaluate(async (id) => {
      const card = document.getElementById(id)!;
      card.focus();
      const target = document.querySelector('[data-column="active"] .list')!;
      const t0 = performance.now();
      const inserted = new Promise<number>((resolve) => {
        new MutationObserver((_, observer) => {
          if (target.querySelector(`#${id}`)) {
            observer.disconnect();
            resolve(performance.now());
          }
        }).observe(target, { childList: true });
      });
      card.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
      const t1 = await inserted;
      const t2 = await new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now())));
      return [t1 - t0, t2 - t0];
    }, id);
    moves.push(dom);
    painted.push(frame);
  }
  summary("move reflected in the DOM", moves);
  summary("move painted (next frame)", painted);
  await api.dispose();
});
