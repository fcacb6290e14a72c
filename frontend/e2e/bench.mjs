// Time to first meaningful paint of the overview (the PnL figures painted) against a running
// Django app, next to a blank page's first paint in the same browser. bench/frontend.py runs it.
//
//   QT_BASE_URL=... QT_USERNAME=... QT_PASSWORD=... QT_RUNS=7 node e2e/bench.mjs
// Prints one JSON object: {fmp_ms: [...], blank_fcp_ms: [...], overview_fcp_ms: [...]}.
import { launch, login } from "./lib.mjs";

const base = (process.env.QT_BASE_URL || "http://127.0.0.1:8889").replace(/\/$/, "");
const runs = Number(process.env.QT_RUNS || 7);
const MEANINGFUL = '[data-page="overview"] [data-figure="total_pnl"]';

// Installed before any page script: the time the first PnL figure is in the DOM and the next
// frame has been painted (two rAFs), on the page's own performance clock (0 = navigation start).
const probe = (selector) => {
  window.__fmp = null;
  const check = () => {
    if (window.__fmp === null && document.querySelector(selector)) {
      window.__fmp = -1;
      requestAnimationFrame(() => requestAnimationFrame(() => (window.__fmp = performance.now())));
      return true;
    }
    return false;
  };
  new MutationObserver((_, obs) => check() && obs.disconnect()).observe(document, { childList: true, subtree: true });
};

async function fcp(page) {
  return page.evaluate(
    () =>
      new Promise((resolve) => {
        const found = performance.getEntriesByName("first-contentful-paint")[0];
        if (found) return resolve(found.startTime);
        new PerformanceObserver((list) => {
          const e = list.getEntriesByName("first-contentful-paint")[0];
          if (e) resolve(e.startTime);
        }).observe({ type: "paint", buffered: true });
        setTimeout(() => resolve(null), 5000);
      }),
  );
}

const out = { runs, fmp_ms: [], overview_fcp_ms: [], blank_fcp_ms: [] };
const { browser, close } = await launch();
try {
  const setup = await browser.newContext();
  const page0 = await setup.newPage();
  await login(page0, base, process.env.QT_USERNAME, process.env.QT_PASSWORD);
  const storageState = await setup.storageState();
  await setup.close();

  // warm-up of the server and the browser process (not measured)
  {
    const ctx = await browser.newContext({ storageState, viewport: { width: 1280, height: 800 } });
    const p = await ctx.newPage();
    await p.goto(`${base}/`);
    await p.waitForSelector(MEANINGFUL, { timeout: 30000 });
    await ctx.close();
  }
  for (let i = 0; i < runs; i++) {
    // a cold load each time: a new context (empty cache), the session cookie only
    const ctx = await browser.newContext({ storageState, viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.addInitScript(probe, MEANINGFUL);
    await page.goto(`${base}/`);
    await page.waitForFunction(() => typeof window.__fmp === "number" && window.__fmp > 0, null, { timeout: 30000 });
    out.fmp_ms.push(await page.evaluate(() => window.__fmp));
    out.overview_fcp_ms.push(await fcp(page));
    await ctx.close();

    const blankCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const blank = await blankCtx.newPage();
    await blank.goto("data:text/html,<!doctype html><title>blank</title><p>blank</p>");
    out.blank_fcp_ms.push(await fcp(blank));
    await blankCtx.close();
  }
  out.ok = true;
} catch (exc) {
  out.ok = false;
  out.error = String(exc?.stack || exc);
} finally {
  await close();
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(out.ok ? 0 : 1);
