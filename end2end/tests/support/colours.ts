// The colours a page actually shows: an element's text colour and the background it is drawn
// on (the first opaque background among it and its ancestors), read from computed styles, with
// WCAG's relative luminance and contrast ratio to judge them.
import type { Page } from "@playwright/test";

export type Rgb = [number, number, number];

export interface Shown {
  what: string;
  text: Rgb;
  background: Rgb;
}

/** The text and background colours of the first element matching each selector. */
export async function shownColours(page: Page, selectors: Record<string, string>): Promise<Shown[]> {
  return page.evaluate((wanted) => {
    const parse = (value: string): number[] => (value.match(/[\d.]+/g) ?? []).map(Number);
    const result = [];
    for (const [what, selector] of Object.entries(wanted)) {
      const element = document.querySelector(selector);
      if (!element) throw new Error(`nothing matches ${selector} (${what})`);
      let background: number[] = [255, 255, 255];
      for (let at: Element | null = element; at; at = at.parentElement) {
        const [r, g, b, a = 1] = parse(getComputedStyle(at).backgroundColor);
        if (a > 0) {
          background = [r, g, b];
          break;
        }
      }
      const text = parse(getComputedStyle(element).color).slice(0, 3);
      result.push({ what, text, background });
    }
    return result;
  }, selectors) as Promise<Shown[]>;
}

/** WCAG 2 relative luminance, 0 (black) to 1 (white). */
export function luminance([r, g, b]: Rgb): number {
  const channel = (value: number) => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** WCAG 2 contrast ratio, 1 to 21. */
export function contrast(one: Rgb, other: Rgb): number {
  const [light, dark] = [luminance(one), luminance(other)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
