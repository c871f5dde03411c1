// Page object for the home page ("Your Sprints") and the site header.
import { expect, type Locator, type Page } from "@playwright/test";

export class HomePage {
  readonly heading: Locator;
  readonly menuButton: Locator;
  readonly navigation: Locator;
  readonly addSprint: Locator;
  readonly currentSprints: Locator;
  readonly logout: Locator;

  constructor(readonly page: Page) {
    this.heading = page.getByRole("heading", { level: 1, name: "Your Sprints" });
    this.menuButton = page.getByRole("button", { name: "Menu" });
    this.navigation = page.getByRole("navigation", { name: "Main" });
    this.addSprint = page.getByRole("link", { name: "Add Sprint" });
    this.currentSprints = page.getByRole("list", { name: "Current sprints" });
    this.logout = page.getByRole("button", { name: "Logout" });
  }

  async goto() {
    await this.page.goto("/");
  }

  /** Resolves once the WebAssembly bundle has hydrated the server-rendered page. */
  async waitForHydration() {
    await expect(this.page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  }

  tile(name: string): Locator {
    return this.page.getByRole("link", { name: new RegExp(`^${escape(name)}\\s+DUE BY`) });
  }

  async createSprint(name: string, end: string, description = "") {
    await this.addSprint.click();
    await this.page.getByLabel("Sprint Name").fill(name);
    await this.page.getByLabel("End Date").fill(end);
    await this.page.getByLabel("Description").fill(description);
    await this.page.getByRole("button", { name: "Create" }).click();
  }
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
