// Page object for a sprint board: its five columns, cards, and the task dialog.
import { expect, type Locator, type Page } from "@playwright/test";
import { escape } from "./home-page";

export const COLUMNS = ["Backlog", "Not Started", "In Development", "In Testing", "Completed"] as const;
export type ColumnName = (typeof COLUMNS)[number];

export class BoardPage {
  readonly title: Locator;
  readonly dialog: Locator;
  readonly refusal: Locator;
  readonly offline: Locator;
  readonly presence: Locator;

  constructor(readonly page: Page) {
    this.title = page.locator("#sprint-title");
    this.dialog = page.getByRole("dialog", { name: "Task details" });
    this.refusal = page.locator(".banner.refused");
    this.offline = page.locator(".banner.offline");
    this.presence = page.locator(".presence");
  }

  async goto(sprintId: number) {
    await this.page.goto(`/sprint/${sprintId}`);
    await expect(this.page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  }

  column(name: ColumnName): Locator {
    return this.page.getByRole("region", { name, exact: true });
  }

  card(name: string): Locator {
    // A card is named by what it shows: its name, then its assignee, due date, lock.
    return this.page.getByRole("button", { name: new RegExp(`^${escape(name)}(\\s|$)`) });
  }

  cardIn(column: ColumnName, name: string): Locator {
    return this.column(column).getByRole("button", { name: new RegExp(`^${escape(name)}(\\s|$)`) });
  }

  /** A card's "Move to…" button, beside it. */
  moveButton(name: string): Locator {
    return this.card(name).locator("xpath=..").getByRole("button", { name: "Move to…" });
  }

  /** The names of a column's cards, top to bottom. */
  async namesIn(column: ColumnName): Promise<string[]> {
    return this.column(column).locator(".task-item .task-name").allInnerTexts();
  }

  async dragToColumn(card: string, column: ColumnName) {
    // Drop on the column's heading area, not on one of its cards: "to the end".
    await this.card(card).dragTo(this.column(column), { targetPosition: { x: 20, y: 10 } });
  }

  async dragOntoCard(card: string, target: string) {
    await this.card(card).dragTo(this.card(target));
  }

  async addTask(name: string, description = "") {
    await this.column("Backlog").getByRole("button", { name: "Add Task" }).click();
    const form = this.column("Backlog").getByRole("form", { name: "Add Task" });
    await form.getByLabel("Task Name").fill(name);
    await form.getByLabel("Description").fill(description);
    await this.column("Backlog").getByRole("button", { name: "Create" }).click();
  }

  async open(card: string) {
    await this.card(card).click();
    await expect(this.dialog).toBeVisible();
  }
}
