// End-to-end run against a real Django app serving the built SPA (tests/frontend/test_dashboard_e2e.py
// starts it). Logs in, reads what every page shows, saves screenshots, prints one JSON object.
//
//   QT_BASE_URL=http://127.0.0.1:8889 QT_USERNAME=alice QT_PASSWORD=... node e2e/dashboard.mjs
//
// Env: QT_ARTIFACTS_DIR (screenshots; default frontend/test-results), CHROMIUM_PATH.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launch, login, readFigures, readRows } from "./lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const base = (process.env.QT_BASE_URL || "http://127.0.0.1:8889").replace(/\/$/, "");
const username = process.env.QT_USERNAME;
const password = process.env.QT_PASSWORD;
const artifacts = resolve(process.env.QT_ARTIFACTS_DIR || join(here, "..", "test-results"));
mkdirSync(artifacts, { recursive: true });

const staffUser = process.env.QT_STAFF_USERNAME;
const staffPassword = process.env.QT_STAFF_PASSWORD;
const out = { base, steps: [], console_errors: [], page_errors: [], pages: {} };
let deskPosts = 0;

async function deskState(page) {
  return page.evaluate(() => ({
    mode: document.querySelector('[data-figure="desk_mode"]')?.textContent ?? null,
    kill_switch: document.querySelector('[data-figure="kill_switch"]')?.getAttribute("data-raw") ?? null,
    controls: document.querySelectorAll('[data-testid="desk-controls"]').length,
    buttons: document.querySelectorAll('[data-testid="desk-card"] button').length,
    readonly: document.querySelectorAll("[data-desk-readonly]").length,
  }));
}
const { browser, close } = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && out.console_errors.push(m.text()));
  page.on("pageerror", (e) => out.page_errors.push(String(e)));
  page.on("request", (r) => r.method() === "POST" && r.url().includes("/api/trading/desk/") && deskPosts++);

  // 1. No session: the SPA sends the visitor to the login page and shows no data.
  await page.goto(`${base}/pnl`);
  await page.waitForSelector('form[aria-label="login"]', { timeout: 15000 });
  out.redirect_without_session = new URL(page.url()).pathname + new URL(page.url()).search;
  out.figures_without_session = await page.$$eval("[data-figure]", (els) => els.length);
  await page.screenshot({ path: join(artifacts, "login.png") });

  // 2. A wrong password is refused on the page.
  await login(page, base, username, "wrong-" + password);
  out.bad_login_error = (await page.textContent('[role="alert"]', { timeout: 5000 }))?.trim() ?? null;

  // 3. Log in; the overview shows the figures.
  await login(page, base, username, password);
  await page.waitForSelector('[data-page="overview"][data-ready="1"]', { timeout: 20000 });
  await page.waitForSelector("[data-banner]", { timeout: 15000 });
  // the daily card settles too (a figure, an empty state or "not available")
  await page.waitForFunction(
    () => {
      const card = document.querySelector('[data-testid="today-card"]');
      return card && (card.querySelector("[data-figure]") || card.querySelector("[data-empty]"));
    },
    null,
    { timeout: 15000 },
  );
  out.after_login_path = new URL(page.url()).pathname;
  out.figures = await readFigures(page);
  out.banner = await page.$eval("[data-banner]", (el) => ({
    kind: el.getAttribute("data-banner"),
    down: el.getAttribute("data-down"),
    text: el.textContent.trim(),
  }));
  out.empty_states = await page.$$eval("[data-empty]", (els) => els.map((e) => e.textContent.trim()));
  out.ages = await page.$$eval("[data-freshness]", (els) => els.map((e) => e.textContent.trim()));
  // the desk card settles (figures or "not available"); a non-staff user gets no controls
  await page.waitForSelector('[data-testid="desk-card"] [data-figure="desk_mode"], [data-testid="desk-card"] [data-empty]', { timeout: 15000 });
  out.desk = await deskState(page);
  await page.screenshot({ path: join(artifacts, "overview-1280.png"), fullPage: true });

  // 4. Live: the page polls without reload (count the API calls over ~6 s).
  let polls = 0;
  const onReq = (r) => r.url().includes("/api/rl-dashboard/") && polls++;
  page.on("request", onReq);
  await page.waitForTimeout(6000);
  page.off("request", onReq);
  out.rl_dashboard_polls_in_6s = polls;

  // 5. Every page: what it shows, a screenshot.
  for (const [name, path, ready] of [
    ["health", "/health", '[data-component="database"]'],
    ["positions", "/positions", '[data-testid="positions-table"] [data-freshness]'],
    ["pnl", "/pnl", '[data-testid="daily-chart"] [data-freshness]'],
    ["rl", "/rl", '[data-testid="rewards"] [data-freshness]'],
    ["audit", "/audit", '[data-testid="audit-orders"] tr[data-order], [data-testid="audit-orders"] [data-empty]'],
    ["strategies", "/strategies", '[data-testid="runs"] [data-empty], [data-testid="runs"] [data-run]'],
  ]) {
    await page.click(`nav a[href="${path}"]`);
    await page.waitForSelector(`[data-page="${name}"]`, { timeout: 10000 });
    await page.waitForSelector(ready, { timeout: 15000 }).catch(() => out.steps.push(`${name}: not ready`));
    await page.waitForTimeout(300);
    const info = {
      empty_states: await page.$$eval("[data-empty]", (els) => els.map((e) => e.textContent.trim())),
      figures: await readFigures(page),
    };
    if (name === "health") {
      info.components = await page.$$eval("[data-component]", (els) =>
        Object.fromEntries(els.map((e) => [e.getAttribute("data-component"), e.getAttribute("data-ok") === "1"])),
      );
    }
    if (name === "positions") {
      info.rows = await page.$$eval("tr[data-symbol]", (rows) =>
        rows.map((r) => ({
          symbol: r.getAttribute("data-symbol"),
          unrealized_pnl: r.querySelector('[data-cell="unrealized_pnl"]')?.textContent.trim(),
          unrealized_raw: r.querySelector('[data-cell="unrealized_pnl"]')?.getAttribute("data-raw"),
        })),
      );
    }
    if (name === "health") {
      await page.waitForSelector('[data-testid="ports"] tr[data-port], [data-testid="ports"] [data-empty]', { timeout: 15000 });
      info.ports = await readRows(page, '[data-testid="ports"] tr[data-port]', "data-port");
    }
    if (name === "positions") {
      await page.waitForSelector('[data-testid="exits"] tr[data-position], [data-testid="exits"] [data-empty]', { timeout: 15000 });
      info.exits = await readRows(page, "tr[data-position]", "data-position");
    }
    if (name === "audit") {
      await page.waitForSelector('[data-testid="audit-intents"] tr[data-intent], [data-testid="audit-intents"] [data-empty]', { timeout: 15000 });
      info.intents = await readRows(page, "tr[data-intent]", "data-intent");
      info.orders = await readRows(page, "tr[data-order]", "data-order");
      // filters: side on the loaded rows, then symbol on the server
      const ids = (sel, attr) => page.$$eval(sel, (rows, a) => rows.map((r) => r.getAttribute(a)), attr);
      const settle = async (fn) => {
        await page.waitForFunction(fn, null, { timeout: 10000 }).catch(() => out.steps.push("audit: filter did not settle"));
        await page.waitForTimeout(200);
      };
      await page.selectOption('select[aria-label="Side"]', "SELL");
      await settle(() => ![...document.querySelectorAll("tr[data-intent] [data-cell=side]")].some((c) => c.textContent !== "SELL"));
      info.side_sell_intents = await ids("tr[data-intent]", "data-intent");
      await page.selectOption('select[aria-label="Side"]', "");
      await page.fill('input[aria-label="Symbol"]', "ethusdt");
      await settle(() => {
        const cells = [...document.querySelectorAll("tr[data-intent] [data-cell=symbol]")];
        return cells.length > 0 && cells.every((c) => c.textContent === "ETHUSDT");
      });
      info.symbol_eth_intents = await ids("tr[data-intent]", "data-intent");
      info.symbol_eth_orders = await ids("tr[data-order]", "data-order");
      await page.setViewportSize({ width: 375, height: 812 });
      await page.waitForTimeout(200);
      info.phone_overflow_px = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await page.screenshot({ path: join(artifacts, "audit-375.png"), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    if (name === "pnl") {
      info.daily_rows = await page.$$eval("tr[data-date]", (rows) =>
        rows.map((r) => ({ date: r.getAttribute("data-date"), net: r.querySelector('[data-cell="net_pnl"]')?.textContent.trim() })),
      );
      info.equity_chart = (await page.$('[data-testid="equity-chart"] svg.recharts-surface')) !== null;
    }
    out.pages[name] = info;
    await page.screenshot({ path: join(artifacts, `${name}-1280.png`), fullPage: true });
  }

  // 6. Phone width: the overview fits 375 px without horizontal scrolling of the page.
  await page.setViewportSize({ width: 375, height: 812 });
  await page.click('nav a[href="/"]');
  await page.waitForSelector('[data-page="overview"][data-ready="1"]');
  await page.waitForTimeout(300);
  out.phone_overflow_px = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: join(artifacts, "overview-375.png"), fullPage: true });

  // 7. Log out: back to login, and the API refuses data again.
  await page.click("text=Log out");
  await page.waitForSelector('form[aria-label="login"]', { timeout: 10000 });
  out.me_after_logout = await page.evaluate(async () => (await fetch("/api/auth/me/")).status);

  // 8. A staff user sees the desk controls; a change needs the confirm step.
  if (staffUser) {
    await login(page, base, staffUser, staffPassword);
    await page.waitForSelector('[data-testid="desk-card"] [data-figure="desk_mode"]', { timeout: 20000 });
    await page.waitForSelector('[data-testid="desk-controls"]', { timeout: 10000 });
    out.staff_desk = await deskState(page);
    await page.click('[data-testid="desk-controls"] button:text-is("Set defensive")');
    out.staff_posts_before_confirm = deskPosts;
    await page.fill('[role="dialog"] input[aria-label="Reason"]', "e2e: defensive from the dashboard");
    await page.click('[role="dialog"] button:text-is("Confirm")');
    await page.waitForFunction(() => document.querySelector('[data-figure="desk_mode"]')?.textContent === "defensive", null, { timeout: 10000 });
    out.staff_desk_after = await deskState(page);
    await page.screenshot({ path: join(artifacts, "overview-staff-375.png"), fullPage: true });
  }
  out.ok = true;
} catch (exc) {
  out.ok = false;
  out.error = String(exc?.stack || exc);
  for (const ctx of browser.contexts()) {
    for (const [i, p] of ctx.pages().entries()) {
      out.failure_url = p.url();
      await p.screenshot({ path: join(artifacts, `failure-${i}.png`), fullPage: true }).catch(() => {});
    }
  }
} finally {
  await close();
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(out.ok ? 0 : 1);
