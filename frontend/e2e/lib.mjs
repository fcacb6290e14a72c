// Shared by the e2e and bench scripts: Debian's chromium driven by playwright-core (browser
// downloads do not work on the desk's machines, so `npx playwright install` is never needed).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

// Playwright's launch() gives every run a fresh temporary profile (its own --user-data-dir,
// removed on close); it refuses the flag in args.
export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const close = async () => {
    await browser.close().catch(() => {});
  };
  return { browser, close };
}

export async function login(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await Promise.all([
    page.waitForResponse((r) => r.url().endsWith("/api/auth/login/")),
    page.click('button[type="submit"]'),
  ]);
}

/** Every [data-figure] on the page: { name: { text, raw, freshness } }. */
export async function readFigures(page) {
  return page.$$eval("[data-figure]", (els) =>
    Object.fromEntries(
      els.map((el) => [
        el.getAttribute("data-figure"),
        {
          text: (el.textContent || "").trim(),
          raw: el.getAttribute("data-raw"),
          freshness: el.closest(".card")?.querySelector("[data-freshness]")?.getAttribute("data-freshness") ?? null,
        },
      ]),
    ),
  );
}

/** Rows of a typed table: { [row key]: { [data-cell]: { text, raw } } }. */
export async function readRows(page, selector, keyAttr) {
  return page.$$eval(
    selector,
    (rows, attr) =>
      Object.fromEntries(
        rows.map((r) => [
          r.getAttribute(attr),
          Object.fromEntries(
            [...r.querySelectorAll("[data-cell]")].map((c) => [
              c.getAttribute("data-cell"),
              { text: (c.textContent || "").trim(), raw: c.getAttribute("data-raw") },
            ]),
          ),
        ]),
      ),
    keyAttr,
  );
}
