// The shell: server-rendered, hydrated, hashed bundle names, a strict CSP that hydration obeys.
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { expect, test } from "@playwright/test";
import { BoardPage } from "./pages/board-page";
import { HomePage } from "./pages/home-page";
import { apiAs, signIn, unique, watchProblems } from "./support/fixtures";

test.describe("home page", () => {
  test("is server-rendered, then hydrated so clicks change state", async ({ page, context }) => {
    const problems = watchProblems(page);
    await signIn(context, "alice");
    // A phone-sized viewport, where the navigation folds behind the menu button.
    await page.setViewportSize({ width: 390, height: 800 });
    const home = new HomePage(page);
    await home.goto();

    await expect(page).toHaveTitle("Your Sprints — Scrum Board");
    await expect(home.heading).toBeVisible();
    await home.waitForHydration();

    // Only the hydrated app reacts: the menu opens and says so to assistive technology.
    await expect(home.menuButton).toHaveAttribute("aria-expanded", "false");
    await expect(home.navigation.getByRole("link", { name: "Your Sprints" })).toBeHidden();
    await home.menuButton.click();
    await expect(home.menuButton).toHaveAttribute("aria-expanded", "true");
    await expect(home.navigation.getByRole("link", { name: "Your Sprints" })).toBeVisible();

    await page.screenshot({ path: "test-results/home-phone.png", fullPage: true });
    // Includes Content-Security-Policy violations, which Chromium reports as console errors.
    expect(problems).toEqual([]);
  });

  test("pages carry a nonce-based Content-Security-Policy without unsafe-eval", async ({ page }) => {
    const response = await page.goto("/");
    const policy = response!.headers()["content-security-policy"];
    expect(policy).toContain("'wasm-unsafe-eval'");
    expect(policy).not.toContain("'unsafe-eval'");
    expect(policy).not.toContain("'unsafe-inline'");
    const nonce = policy.match(/'nonce-([^']+)'/)![1];
    // Every inline script carries this response's nonce, and it differs per response.
    const inline = await page.locator("script:not([src])").evaluateAll((scripts) =>
      scripts.map((s) => (s as HTMLScriptElement).nonce),
    );
    expect(inline.length).toBeGreaterThan(0);
    for (const value of inline) expect(value).toBe(nonce);
    const again = await page.request.get("/");
    expect(again.headers()["content-security-policy"]).not.toContain(nonce);
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
      const response = await request.get(asset, { headers: { "Accept-Encoding": "br, gzip" } });
      expect(response.status(), asset).toBe(200);
      expect(response.headers()["cache-control"]).toBe("public, max-age=31536000, immutable");
      // Served from the brotli copy written at build time (a length known up front, equal to
      // the file's), not compressed again for every request.
      expect(response.headers()["content-encoding"], asset).toBe("br");
      const copy = statSync(`../target/site${asset}.br`);
      expect(response.headers()["content-length"], asset).toBe(String(copy.size));
      // The name carries the MD5 of the file's own bytes and nothing else, so a release that
      // changes one CSS rule renames the stylesheet alone and browsers keep the rest cached.
      const hash = createHash("md5").update(await response.body()).digest("base64url");
      expect(asset, "the hash in the name is the content's").toContain(`.${hash}.`);
    }
    // The bundle's budget (brotli, as browsers download it): 200 KiB, the product's target.
    // The bundle `cargo xtask site` builds was 192,589 B when this was last set.
    const wasmBrotli = statSync(`../target/site${wasm![0]}.br`).size;
    expect(wasmBrotli, "wasm bytes over the wire").toBeLessThanOrEqual(200 * 1024);
  });

  test("links, back and forward change pages in place; leaving a board leaves its stream", async ({ browser }) => {
    const api = await apiAs("alice");
    const sprint = await api.sprint(unique("Navigation"), 10);
    await api.dispose();
    const aliceContext = await browser.newContext();
    const bobContext = await browser.newContext();
    await signIn(aliceContext, "alice");
    await signIn(bobContext, "bob");
    const page = await aliceContext.newPage();
    const problems = watchProblems(page);
    const home = new HomePage(page);
    const board = new BoardPage(page);
    await home.goto();
    await home.waitForHydration();
    // A mark on the window survives only as long as the page is never loaded again.
    await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
    const stayed = () => page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed === true);

    // A click with a modifier is the browser's: the tile opens in a new tab, this one stays.
    const [tab] = await Promise.all([
      aliceContext.waitForEvent("page"),
      home.tile(sprint.name).click({ modifiers: ["Control"] }),
    ]);
    await tab.close();
    await expect(home.heading).toBeVisible();

    // The header tells which page is the current one.
    const yourSprints = home.navigation.getByRole("link", { name: "Your Sprints" });
    await expect(yourSprints).toHaveAttribute("aria-current", "page");

    // A plain click opens the board in place, and Bob, on the same board, sees Alice there.
    const bob = new BoardPage(await bobContext.newPage());
    await bob.page.goto(`/sprint/${sprint.id}`);
    await home.tile(sprint.name).click();
    await expect(board.title).toHaveText(sprint.name);
    expect(new URL(page.url()).pathname).toBe(`/sprint/${sprint.id}`);
    await expect(yourSprints).not.toHaveAttribute("aria-current", "page");
    await expect(bob.presence).toContainText("alice");

    // Back: the home page again, and the board's stream is closed, so Bob sees her go.
    await page.goBack();
    await expect(home.heading).toBeVisible();
    expect(new URL(page.url()).pathname).toBe("/");
    await expect(bob.presence).not.toContainText("alice");

    // Forward, then the header's title link home: still the same page load throughout.
    await page.goForward();
    await expect(board.title).toHaveText(sprint.name);
    await page.getByRole("link", { name: "Scrum Board" }).click();
    await expect(home.heading).toBeVisible();
    expect(await stayed()).toBe(true);

    // An address typed by hand for no page is the server's 404, with a way back in place.
    await page.goto("/no/such/page");
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await home.waitForHydration();
    await page.getByRole("link", { name: "Back to your sprints" }).click();
    await expect(home.heading).toBeVisible();
    expect(problems.filter((p) => !p.includes("404"))).toEqual([]);
    await aliceContext.close();
    await bobContext.close();
  });

  test("health and API root answer", async ({ request }) => {
    const health = await request.get("/healthz");
    expect(health.status()).toBe(200);
    const root = await request.get("/api/");
    expect(root.status()).toBe(200);
    const body = await root.json();
    expect(Object.keys(body).sort()).toEqual(["labels", "sprints", "tasks", "users"]);
  });

  test("another site cannot show the board in a frame", async ({ page, baseURL }) => {
    // A page on another origin, served by the test itself (nothing leaves the machine). It
    // frames the board and, as a control, a page of its own that allows framing.
    await page.route("http://elsewhere.test/**", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: route.request().url().endsWith("/inner")
          ? "<!doctype html><title>Inner</title><p>framed fine</p>"
          : `<!doctype html><title>Elsewhere</title>
             <iframe id="control" src="http://elsewhere.test/inner"></iframe>
             <iframe id="victim" src="${baseURL}/"></iframe>`,
      }),
    );
    await page.goto("http://elsewhere.test/");
    await expect(page.frameLocator("#control").getByText("framed fine")).toBeVisible();
    // Chromium shows its own error page in the board's frame: the board never renders there.
    const victim = () =>
      page
        .frames()
        .find((frame) => frame.parentFrame() === page.mainFrame() && !frame.url().includes("elsewhere.test"));
    await expect.poll(() => victim()?.url()).toMatch(/^chrome-error:/);
    await expect(page.frameLocator("#victim").getByText("Scrum Board")).toHaveCount(0);
  });
});
