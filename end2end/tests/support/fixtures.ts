// Shared set-up for the browser tests: the two people the web server was started with, a
// REST client acting as one of them (for arranging data quickly), and signing a page in.
import { type APIRequestContext, type Browser, type BrowserContext, expect, request } from "@playwright/test";
import { baseURL } from "../../playwright.config";
import { BoardPage } from "../pages/board-page";

export const PEOPLE = {
  alice: { username: "alice", password: "alice-pass-1" },
  bob: { username: "bob", password: "bob-pass-1" },
} as const;
export type Person = keyof typeof PEOPLE;

/** A day far enough ahead that no other test's sprint ends on it. */
export function freeDay(): number {
  return 4000 + Math.floor(Math.random() * 4000);
}

/** A unique suffix so tests sharing one database never see each other's names. */
export function unique(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** A date `days` from today, as the API and date inputs write it. */
export function isoDate(days: number): string {
  const date = new Date(Date.now() + days * 86_400_000);
  return date.toISOString().slice(0, 10);
}

/** The REST API with a token, as a script would use it. */
export async function apiAs(person: Person, url = baseURL): Promise<Api> {
  // Paths below are relative ("api/…"), so a site under a base path (`…/scrum/`) works too.
  const site = url.endsWith("/") ? url : `${url}/`;
  const context = await request.newContext({ baseURL: site });
  const answer = await context.post("api/token", { form: PEOPLE[person] });
  expect(answer.status(), "token login").toBe(200);
  const { token } = await answer.json();
  const authed = await request.newContext({
    baseURL: site,
    extraHTTPHeaders: { Authorization: `Token ${token}` },
  });
  await context.dispose();
  return new Api(authed);
}

export interface Task {
  id: number;
  name: string;
  sprint: number | null;
  status: number;
  order: number;
  completed: string | null;
  version: number;
}

export interface Sprint {
  id: number;
  name: string;
  end: string;
  version: number;
}

export class Api {
  constructor(readonly http: APIRequestContext) {}

  /** A sprint ending some day at least `days` from now; end dates are unique, so the first
   *  free day from a random start is taken. */
  async sprint(name: string, days = 14, description = ""): Promise<Sprint> {
    let day = days + Math.floor(Math.random() * 3000);
    for (;;) {
      const answer = await this.http.post("api/sprints", {
        data: { name, end: isoDate(day), description },
      });
      const body = await answer.text();
      if (answer.status() === 400 && body.includes("already exists")) {
        day += 1;
        continue;
      }
      expect(answer.status(), body).toBe(201);
      return JSON.parse(body);
    }
  }

  async task(fields: Record<string, unknown>): Promise<Task> {
    const answer = await this.http.post("api/tasks", { data: fields });
    expect(answer.status(), await answer.text()).toBe(201);
    return answer.json();
  }

  async patchTask(id: number, fields: Record<string, unknown>): Promise<Task> {
    const answer = await this.http.patch(`api/tasks/${id}`, { data: fields });
    expect(answer.status(), await answer.text()).toBe(200);
    return answer.json();
  }

  async getTask(id: number): Promise<Task> {
    const answer = await this.http.get(`api/tasks/${id}`);
    expect(answer.status()).toBe(200);
    return answer.json();
  }

  async dispose() {
    await this.http.dispose();
  }
}

/** Signs a browser context in through the API (the cookie lands in the context); `site` is
 *  where the site lives when not at the configured base URL. */
export async function signIn(context: BrowserContext, person: Person, site = "") {
  const answer = await context.request.post(`${site}/api/session`, { data: PEOPLE[person] });
  expect(answer.status(), "session login").toBe(200);
}

/** Collects page errors and console errors (including CSP violations) for a final check. */
export function watchProblems(page: import("@playwright/test").Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  return problems;
}

/** Alice and Bob, each signed in in a browser context of their own, both on one sprint's
 *  board (the contexts are returned for closing). */
export async function twoBoards(browser: Browser, sprintId: number) {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  await signIn(aliceContext, "alice");
  await signIn(bobContext, "bob");
  const alice = new BoardPage(await aliceContext.newPage());
  const bob = new BoardPage(await bobContext.newPage());
  await alice.goto(sprintId);
  await bob.goto(sprintId);
  return { alice, bob, aliceContext, bobContext };
}
