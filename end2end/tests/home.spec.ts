// The first slice: the server-rendered page loads its hashed bundle and hydrates.
import { expect, test } from "@playwright/test";
import { HomePage } from "./pages/home-page";

test.describe("home page", () => {
  test("is server-rendered, then hydrated so clicks change state", async ({ page }) => {
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });

    // A phone-sized viewport, where the navigation folds behind the menu button.
    await page.setViewportSize({ width: 390, height: 800 });
    const home = new HomePage(page);
    await home.goto();

    await expect(page).toHaveTitle("Scrum Board");
    await expect(home.heading).toBeVisible();
    await home.waitForHydration();

    // Only the hydrated app reacts: the menu opens and says so to assistive technology.
    await expect(home.menuButton).toHaveAttribute("aria-expanded", "false");
    await expect(home.navigation.getByRole("link", { name: "Your Sprints" })).toBeHidden();
    await home.menuButton.click();
    await expect(home.menuButton).toHaveAttribute("aria-expanded", "true");
    await expect(home.navigation.getByRole("link", { name: "Your Sprints" })).toBeVisible();

    await page.screenshot({ path: "test-results/home-phone.png", fullPage: true });
    expect(problems).toEqual([]);
  });

  test("serves content-hashed bundle names", async ({ page, request }) => {
    await page.goto("/");
    const html = await page.content();
    const js = html.match(/\/pkg\/scrum\.[\w-]+\.js/);
    const wasm = html.match(/\/pkg\/scrum\.[\w-]+\.wasm/);
    const css = html.match(/\/pkg\/scrum\.[\w-]+\.css/);
    expect(js, "hashed JS name").not.toBeNull();
    expect(wasm, "hashed wasm name").not.toBeNull();
    expect(css, "hashed CSS name").not.toBeNull();
    for (const asset of [js![0], wasm![0], css![0]]) {
      const response = await request.get(asset);
      expect(response.status(), asset).toBe(200);
    }
  });

  test("health and API root answer", async ({ request }) => {
    const health = await request.get("/healthz");
    expect(health.status()).toBe(200);
    const root = await request.get("/api/");
    expect(root.status()).toBe(200);
    const body = await root.json();
    expect(Object.keys(body).sort()).toEqual(["sprints", "tasks", "users"]);
  });
});
