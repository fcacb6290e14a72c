// Layout check of every page at a desktop (1280x800) and a phone (390x844) viewport, against a
// real Django app serving the built SPA (tests/frontend/test_layout_e2e.py starts it and seeds
// it). Prints one JSON object: per viewport and page, what does not fit.
//
//   QT_BASE_URL=http://127.0.0.1:8889 QT_USERNAME=alice QT_PASSWORD=... node e2e/layout.mjs
//
// - nav: every item whole inside the nav and the viewport, with no scrolling, and on top at
//   its centre (a nav that scrolls sideways with a hidden scrollbar fails here);
// - tables: no table wider than its card (its .table-wrap would scroll sideways);
// - charts: every axis label inside its chart (not cut) and no label repeated on an axis;
// - the page itself never scrolls sideways.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, login } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const base = (process.env.QT_BASE_URL || "http://127.0.0.1:8889").replace(/\/$/, "");
const artifacts = resolve(process.env.QT_ARTIFACTS_DIR || join(here, "..", "test-results"));
mkdirSync(artifacts, { recursive: true });

const VIEWPORTS = [
  ["desktop", { width: 1280, height: 800 }],
  ["phone", { width: 390, height: 844 }],
];
// page -> [path, what shows once its data is in]
const PAGES = [
  ["overview", "/", '[data-page="overview"][data-ready="1"] [data-testid="positions-card"] li[data-symbol]'],
  ["positions", "/positions", '[data-testid="exits"] tr[data-position]'],
  ["pnl", "/pnl", '[data-testid="equity-chart"] .recharts-yAxis-tick-labels text'],
  ["rl", "/rl", '[data-testid="rl-rewards"] .recharts-yAxis-tick-labels text'],
  ["audit", "/audit", '[data-testid="audit-orders"] tr[data-order]'],
  ["strategies", "/strategies", '[data-page="strategies"] .card'],
  ["health", "/health", '[data-testid="ports"] tr[data-port], [data-testid="ports"] [data-empty]'],
];
const SETTLE = ['[data-testid="audit-intents"] tr[data-intent]', '[data-testid="rl-rewards"] .recharts-xAxis-tick-labels text'];

function measure() {
  const within = (r, box) => r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
  const nav = document.querySelector("nav.nav");
  const navBox = nav.getBoundingClientRect();
  const screen = { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight };
  const navItems = [...nav.querySelectorAll("a")].map((a) => {
    const r = a.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {
      label: a.textContent.trim(),
      reachable: r.width > 0 && within(r, navBox) && within(r, screen) && hit !== null && a.contains(hit),
    };
  });
  const tables = [...document.querySelectorAll(".table-wrap")].map((w) => ({
    card: w.closest("[data-testid]")?.getAttribute("data-testid") ?? w.closest(".card")?.querySelector("h2")?.textContent ?? null,
    table_px: w.scrollWidth,
    card_px: w.clientWidth,
  }));
  const axes = [...document.querySelectorAll(".recharts-cartesian-axis-tick-labels")].map((g) => {
    const svg = g.closest("svg.recharts-surface");
    const box = svg.getBoundingClientRect();
    const texts = [...g.querySelectorAll(".recharts-cartesian-axis-tick-value")];
    return {
      chart: g.closest("[data-testid]")?.getAttribute("data-testid") ?? null,
      axis: g.classList.contains("recharts-yAxis-tick-labels") ? "y" : "x",
      labels: texts.map((t) => t.textContent),
      cut: texts.filter((t) => !within(t.getBoundingClientRect(), box)).map((t) => t.textContent),
    };
  });
  return {
    nav_items: navItems,
    nav_scrolls: nav.scrollWidth > nav.clientWidth + 1,
    tables,
    axes,
    page_overflow_px: document.documentElement.scrollWidth - window.innerWidth,
  };
}

const out = { base, ok: false, viewports: {}, page_errors: [], steps: [] };
const { browser, close } = await launch();
try {
  const context = await browser.newContext({ viewport: VIEWPORTS[0][1] });
  const page = await context.newPage();
  page.on("pageerror", (e) => out.page_errors.push(String(e)));
  await login(page, base, process.env.QT_USERNAME, process.env.QT_PASSWORD);
  await page.waitForSelector('[data-page="overview"]', { timeout: 20000 });
  for (const [name, size] of VIEWPORTS) {
    await page.setViewportSize(size);
    const pages = {};
    for (const [pageName, path, ready] of PAGES) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector(ready, { timeout: 20000 }).catch(() => out.steps.push(`${name} ${pageName}: not ready`));
      for (const extra of SETTLE) await page.waitForSelector(extra, { timeout: 500 }).catch(() => {});
      await page.waitForTimeout(400); // ResponsiveContainer re-measures after the first paint
      pages[pageName] = await page.evaluate(measure);
      await page.screenshot({ path: join(artifacts, `layout-${pageName}-${size.width}.png`), fullPage: true });
    }
    out.viewports[name] = { size, pages };
  }
  out.ok = true;
} catch (exc) {
  out.error = String(exc?.stack || exc);
} finally {
  await close();
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(out.ok ? 0 : 1);
