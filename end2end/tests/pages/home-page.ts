// Page object for the home page and the site header.
import { expect, type Locator, type Page } from "@playwright/test";

export class HomePage {
  readonly page: Page;
  readonly heading: Locator;
  readonly menuButton: Locator;
  readonly navigation: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole("heading", { level: 1, name: "Your Sprints" });
    this.menuButton = page.getByRole("button", { name: "Menu" });
    this.navigation = page.locator("#site-nav");
  }

  async goto() {
    await this.page.goto("/");
  }

  /** Resolves once the WebAssembly bundle has hydrated the server-rendered page. */
  async waitForHydration() {
    await expect(this.page.locator(".app")).toHaveAttribute("data-hydrated", "true");
  }
}
