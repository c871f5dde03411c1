// Data in and out in a browser: a Trello board brought into a project through its two pages
// (read the board, say where each list goes), the project's export and the sprint's CSV as
// downloads, and the import page refusing a bad file. Every new page is looked at in light
// and dark, and at phone width.
import { readFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import { seriousViolations } from "./support/axe";
import { type Api, apiAs, isoDate, signIn, unique, watchProblems } from "./support/fixtures";

async function shoot(page: Page, name: string) {
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `test-results/transfer-${name}-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: "light" });
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: `test-results/transfer-${name}-phone.png`, fullPage: true });
  if (wide) await page.setViewportSize(wide);
}

/** A project alice starts (she owns it): its id. */
async function newProject(api: Api, label: string): Promise<number> {
  const answer = await api.http.post("api/projects", { data: { name: unique(label) } });
  expect(answer.status(), await answer.text()).toBe(201);
  return (await answer.json()).id;
}

function trelloBoard(card: string) {
  return {
    id: "b1",
    name: "Launch plan",
    lists: [
      { id: "l1", name: "To Do", pos: 1 },
      { id: "l2", name: "Doing", pos: 2 },
      { id: "l3", name: "Done", pos: 3 },
      { id: "l4", name: "Ideas", pos: 4 },
    ],
    labels: [{ id: "t1", name: unique("Launch"), color: "sky" }],
    members: [{ id: "m1", username: "bob", fullName: "Bob" }],
    cards: [
      { id: "c1", name: card, desc: "From Trello", idList: "l2", pos: 1, idLabels: ["t1"], idMembers: ["m1"], due: "2031-05-01T09:00:00.000Z" },
      { id: "c2", name: unique("Someday"), desc: "", idList: "l4", pos: 1, idLabels: [], idMembers: [] },
    ],
    actions: [
      { id: "a1", type: "commentCard", date: "2031-04-01T10:00:00.000Z", idMemberCreator: "m1", data: { text: "On it", card: { id: "c1" } } },
    ],
  };
}

test("a Trello board comes in through the project's page, its lists placed by the person", async ({ page, context }) => {
  const problems = watchProblems(page);
  await signIn(context, "alice");
  const api = await apiAs("alice");
  const project = await newProject(api, "Trello");
  const joined = await api.http.post(`api/projects/${project}/members`, { data: { user: "bob", role: "member" } });
  expect(joined.status(), await joined.text()).toBe(201);
  const card = unique("Landing page");

  await page.goto(`/projects/${project}`);
  await expect(page.getByRole("heading", { name: "Import from Trello" })).toBeVisible();
  await shoot(page, "project-page");
  await page.getByLabel("Trello export").setInputFiles({
    name: "launch.json",
    mimeType: "application/json",
    buffer: Buffer.from(JSON.stringify(trelloBoard(card))),
  });
  await page.getByRole("button", { name: "Read the board" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Import “Launch plan” from Trello");
  // Each list with a first guess from its name, which the person may change.
  await expect(page.getByLabel("To Do")).toHaveValue("1");
  await expect(page.getByLabel("Doing")).toHaveValue("2");
  await expect(page.getByLabel("Done")).toHaveValue("4");
  await page.getByLabel("Ideas").selectOption({ label: "Leave out" });
  expect(await seriousViolations(page)).toEqual([]);
  await shoot(page, "trello-lists");
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("status")).toHaveText("1 task in the backlog, 1 new label, 1 comment; 1 card left out.");
  await shoot(page, "trello-done");

  // The card is on the board's backlog, In Progress, with its label and assignee.
  const found = await (await api.http.get(`api/tasks?project=${project}&search=${encodeURIComponent(card)}`)).json();
  expect(found.count).toBe(1);
  expect(found.results[0]).toMatchObject({ status: 2, sprint: null, assigned: "bob", due: "2031-05-01", comment_count: 1 });
  expect(problems).toEqual([]);
});

test("the project's export and a sprint's CSV download, and a bad file imports nothing", async ({ page, context }) => {
  const problems = watchProblems(page);
  await signIn(context, "alice");
  const api = await apiAs("alice");
  const project = await newProject(api, "Export");

  await page.goto(`/projects/${project}`);
  const [exported] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Download export" }).click(),
  ]);
  expect(exported.suggestedFilename()).toMatch(/^scrum-[a-z0-9]+-\d{4}-\d{2}-\d{2}\.json$/);
  const document = JSON.parse(readFileSync(await exported.path(), "utf8"));
  expect(document.format).toBe("scrum-board-export");
  expect(document.projects).toHaveLength(1);

  // A sprint's tasks as a spreadsheet, from the board's header.
  const sprint = await (await api.http.post("api/sprints", { data: { name: unique("CSV"), end: isoDate(40), project } })).json();
  const name = unique("=SUM(A1)");
  await api.task({ name, sprint: sprint.id });
  await page.goto(`/sprint/${sprint.id}`);
  await expect(page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  const [csv] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Sprint CSV" }).click()]);
  expect(csv.suggestedFilename()).toBe(`tasks-sprint-${sprint.id}.csv`);
  const text = readFileSync(await csv.path(), "utf8");
  expect(text.startsWith("\ufeffID,Name,Status,Sprint")).toBe(true);
  expect(text).toContain(`,'${name},Not Started,`);

  await page.goto("/admin/import");
  await expect(page.getByRole("heading", { level: 1, name: "Import" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await shoot(page, "import-page");
  await page.getByLabel("Export file").setInputFiles({
    name: "other.json",
    mimeType: "application/json",
    buffer: Buffer.from('{"format": "scrum-board-export", "version": 9, "users": [], "projects": [], "log": []}'),
  });
  await page.getByRole("button", { name: "Import" }).click();
  await expect(page.getByRole("alert")).toHaveText("Nothing was imported. The file is version 9 of the export; this server reads version 1.");
  await shoot(page, "import-refused");
  // The refusal is itself a page answered 400, which the console reports; nothing else.
  expect(problems.filter((problem) => !problem.includes("status of 400"))).toEqual([]);
  expect(problems).toHaveLength(1);
});
