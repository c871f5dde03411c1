// The accessibility scan: axe-core, installed from npm, evaluated in the page as it is.
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";

// Playwright runs from end2end/, where npm installed axe-core.
const axeSource = readFileSync("node_modules/axe-core/axe.min.js", "utf8");

/** Runs axe-core on the page as it is; returns its serious and critical violations. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated, not added as a <script>: the page's Content-Security-Policy rightly refuses
  // inline scripts, and the scan must not need the policy loosened.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // @ts-expect-error: axe is defined by the source evaluated above.
    const results = await window.axe.run(document, { resultTypes: ["violations"] });
    return results.violations.map((v: { id: string; impact: string; help: string; nodes: { target: string[] }[] }) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((node) => node.target.join(" ")).slice(0, 5),
    }));
  });
  return violations
    .filter((v: { impact: string }) => v.impact === "serious" || v.impact === "critical")
    .map((v: { id: string; impact: string; help: string; targets: string[] }) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(", ")})`);
}
