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
// every POST to the desk API, in order, with its body: nothing may be sent before "Confirm"
const deskPosts = [];

async function deskState(page) {
  return page.evaluate(() => ({
    mode: document.querySelector('[data-figure="desk_mode"]')?.textContent ?? null,
    kill_switch: document.querySelector('[data-figure="kill_switch"]')?.getAttribute("data-raw") ?? null,
    controls: document.querySelectorAll('[data-testid="desk-controls"]').length,
    buttons: document.querySelectorAll('[data-testid="desk-card"] button').length,
    readonly: document.querySelectorAll("[data-desk-readonly]").length,
    flatten_buttons: [...document.querySelectorAll('[data-testid="desk-card"] button')].filter((b) => /flatten/i.test(b.textContent)).length,
  }));
}
const { browser, close } = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.on("console", (m) => m.type() === "error" && out.console_errors.push(m.text()));
  page.on("pageerror", (e) => out.page_errors.push(String(e)));
  page.on("request", (r) => r.method() === "POST" && r.url().includes("/api/trading/desk/") && deskPosts.push(r.postData()));

  // 1. No session: the SPA sends the visitor to the login page and shows no data.
  await page.goto(`${base}/pnl`);
  await page.waitForSelector('form[aria-label="login"]', { timeout: 15000 });
  out.redirect_without_session = new URL(page.url()).pathname + new URL(page.url()).search;
  out.figures_without_session = await page.$$eval("[data-figure]", (els) => els.length);
  await page.screenshot({ path: join(artifacts, "login.png") });

  // 2. A staff user first (so every page the trader reads later shows the desk as it then is):
  // the desk controls and flatten, each sent only after the confirm step.
  if (staffUser) {
    await login(page, base, staffUser, staffPassword);
    await page.waitForSelector('[data-testid="desk-card"] [data-figure="desk_mode"]', { timeout: 20000 });
    await page.waitForSelector('[data-testid="desk-controls"]', { timeout: 10000 });
    out.staff_desk = await deskState(page);
    await page.click('[data-testid="desk-controls"] button:text-is("Set defensive")');
    out.staff_posts_before_confirm = deskPosts.length;
    await page.fill('[role="dialog"] input[aria-label="Reason"]', "e2e: defensive from the dashboard");
    await page.click('[role="dialog"] button:text-is("Confirm")');
    await page.waitForFunction(() => document.querySelector('[data-figure="desk_mode"]')?.textContent === "defensive", null, { timeout: 10000 });
    out.staff_desk_after = await deskState(page);
    // flatten: the confirm step says what it does; Cancel sends nothing, Confirm sends it once
    await page.click('[data-testid="desk-controls"] button:text-is("Flatten all positions")');
    out.flatten_confirm_text = (await page.textContent('[role="dialog"]'))?.trim() ?? null;
    await page.click('[role="dialog"] button:text-is("Cancel")');
    await page.click('[data-testid="desk-controls"] button:text-is("Flatten all positions")');
    out.desk_posts_before_flatten_confirm = [...deskPosts];
    await page.click('[role="dialog"] button:text-is("Confirm")');
    await page.waitForSelector("[data-flatten-result]", { timeout: 10000 });
    out.flatten_result = await page.$eval("[data-flatten-result]", (el) => ({
      ids: el.getAttribute("data-flatten-result"),
      text: el.textContent.trim(),
    }));
    out.desk_posts = [...deskPosts];
    await page.screenshot({ path: join(artifacts, "overview-staff-1280.png"), fullPage: true });
    // the research starts are offered to staff (not pressed here: no worker would run them)
    out.staff_start_buttons = {};
    for (const [path, testId] of [["/strategies", "start-evolution"], ["/rl", "start-training"]]) {
      await page.click(`nav a[href="${path}"]`);
      out.staff_start_buttons[testId] = await page
        .waitForSelector(`[data-testid="${testId}"] button`, { timeout: 10000 })
        .then(() => page.$$eval(`[data-testid="${testId}"] button`, (els) => els.map((e) => e.textContent.trim())))
        .catch(() => []);
    }
    await page.click("text=Log out");
    await page.waitForSelector('form[aria-label="login"]', { timeout: 10000 });
  }

  // 3. A wrong password is refused on the page.
  await login(page, base, username, "wrong-" + password);
  out.bad_login_error = (await page.textContent('[role="alert"]', { timeout: 5000 }))?.trim() ?? null;

  // 4. The trader logs in; the overview shows the figures.
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

  // 5. Live: the feed (GET /api/live/) is up and its line says so; the page refreshes without
  // reload (count the API calls over ~6 s: the test pushes a mark every 0.5 s meanwhile).
  await page.waitForSelector('[data-live="up"]', { timeout: 15000 }).catch(() => null);
  out.live = await page.$eval("[data-live]", (el) => ({ state: el.getAttribute("data-live"), text: el.textContent.trim() }));
  let polls = 0;
  const onReq = (r) => r.url().includes("/api/rl-dashboard/") && polls++;
  page.on("request", onReq);
  await page.waitForTimeout(6000);
  page.off("request", onReq);
  out.rl_dashboard_polls_in_6s = polls;

  // 6. Every page: what it shows, a screenshot.
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
      start_buttons: await page.$$eval('[data-testid^="start-"]', (els) => els.length),
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
      // filters, all on the server: each card's count line names the query its rows answer
      info.filters = {};
      const card = (testId, attr) =>
        page.$eval(`[data-testid="${testId}"]`, (el, a) => {
          const c = el.querySelector("[data-count]");
          return {
            query: c?.getAttribute("data-query") ?? null,
            count: c?.getAttribute("data-count") ?? null,
            shown: c?.getAttribute("data-shown") ?? null,
            text: c?.textContent.trim() ?? null,
            ids: [...el.querySelectorAll(`tr[${a}]`)].map((r) => r.getAttribute(a)),
            refused: el.querySelector("[data-refused]")?.textContent.trim() ?? null,
          };
        }, attr);
      // wait = [a function run in the page, its argument] (page functions are sent as source)
      const filter = async (name, { side = "", state = "", status = "", symbol = "" }, [wait, arg]) => {
        await page.selectOption('select[aria-label="Side"]', side);
        await page.selectOption('select[aria-label="Intent state"]', state);
        await page.selectOption('select[aria-label="Order status"]', status);
        await page.fill('input[aria-label="Symbol"]', symbol);
        await page.waitForFunction(wait, arg, { timeout: 10000 }).catch(() => out.steps.push(`audit: ${name} did not settle`));
        info.filters[name] = { intents: await card("audit-intents", "data-intent"), orders: await card("audit-orders", "data-order") };
      };
      const answered = (iq, oq) => [
        ([i, o]) =>
          document.querySelector(`[data-testid="audit-intents"] [data-query="${i}"]`) !== null &&
          document.querySelector(`[data-testid="audit-orders"] [data-query="${o}"]`) !== null,
        [iq, oq],
      ];
      await filter("side=SELL", { side: "SELL" }, answered("limit=200&side=SELL", "limit=200&side=SELL"));
      await filter("state=REJECTED,status=CANCELED", { state: "REJECTED", status: "CANCELED" }, answered("limit=200&state=REJECTED", "limit=200&status=CANCELED"));
      await filter("side=BUY,state=APPROVED,status=FILLED", { side: "BUY", state: "APPROVED", status: "FILLED" },
        answered("limit=200&side=BUY&state=APPROVED", "limit=200&side=BUY&status=FILLED"));
      await filter("symbol=ETHUSDT", { symbol: "ethusdt" }, answered("limit=200&symbol=ETHUSDT", "limit=200&symbol=ETHUSDT"));
      // a symbol the API refuses (one letter): both cards show its 400 message
      await filter("symbol=E", { symbol: "e" }, [() => document.querySelectorAll("[data-refused]").length === 2, null]);
      await page.fill('input[aria-label="Symbol"]', "");
      await page.setViewportSize({ width: 375, height: 812 });
      await page.waitForTimeout(200);
      info.phone_overflow_px = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await page.screenshot({ path: join(artifacts, "audit-375.png"), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    if (name === "rl") {
      await page.waitForSelector('[data-testid="rl-calibrations"] tr[data-calibration-run], [data-testid="rl-calibrations"] [data-empty]', { timeout: 15000 });
      info.calibrations = await page.$$eval('[data-testid="rl-calibrations"] tr[data-calibration-run]', (rows) =>
        rows.map((r) => ({
          id: r.getAttribute("data-calibration-run"),
          created_at: r.querySelector('[data-cell="created_at"]')?.getAttribute("data-raw"),
          rewards_used: r.querySelector('[data-cell="rewards_used"]')?.getAttribute("data-raw"),
          no_change: r.querySelector("[data-no-change]") !== null,
          changes: [...r.querySelectorAll("[data-param]")].map((li) => ({
            param: li.getAttribute("data-param"),
            before: li.getAttribute("data-before"),
            after: li.getAttribute("data-after"),
            why: li.getAttribute("data-why"),
            text: li.querySelector('[data-cell="change"]')?.textContent.trim(),
            effect: (() => {
              const e = li.querySelector('[data-cell="effect"]');
              return e && {
                figure: e.getAttribute("data-figure-name"),
                then: e.getAttribute("data-then"),
                since: e.getAttribute("data-since"),
                verdict: e.getAttribute("data-verdict"),
                text: e.textContent.trim(),
              };
            })(),
          })),
        })),
      );
      info.calibrations_count = await page
        .$eval('[data-testid="rl-calibrations"] [data-count]', (el) => el.getAttribute("data-count"))
        .catch(() => null);
      // What the desk trades with now, per symbol.
      await page
        .waitForSelector('[data-testid="intelligence-now"] tr[data-now-symbol], [data-testid="intelligence-now"] [data-empty]', { timeout: 15000 })
        .catch(() => out.steps.push("rl: now card not ready"));
      info.now = await page.$$eval('[data-testid="intelligence-now"] tr[data-now-symbol]', (rows) =>
        rows.map((r) => ({
          symbol: r.getAttribute("data-now-symbol"),
          source: r.querySelector('[data-cell="source"]')?.getAttribute("data-raw"),
          why: r.querySelector('[data-cell="why"]')?.textContent.trim(),
        })),
      );
      // A training run in progress (the test advances it while the page is open): every
      // (stage, bar) the page shows until it has moved twice, as the polls bring them.
      info.research_seen = [];
      const deadline = Date.now() + 20000;
      while (Date.now() < deadline && info.research_seen.length < 3) {
        const now = await page
          .$eval('[data-testid="research-progress"] [data-research-run^="training"]', (li) => ({
            run: li.getAttribute("data-research-run"),
            stage: li.querySelector('[data-cell="stage"]')?.textContent.trim(),
            progress: li.querySelector('[role="progressbar"]')?.getAttribute("aria-valuenow"),
            folds: li.querySelector("[data-folds]")?.getAttribute("data-folds") ?? "0",
          }))
          .catch(() => null);
        const last = info.research_seen[info.research_seen.length - 1];
        if (now && (!last || last.stage !== now.stage || last.progress !== now.progress)) info.research_seen.push(now);
        await page.waitForTimeout(150);
      }
    }
    if (name === "rl") {
      await page.waitForSelector('[data-testid="models"] tr[data-model], [data-testid="models"] [data-empty]', { timeout: 15000 });
      info.models = await readRows(page, '[data-testid="models"] tr[data-model]', "data-model");
    }
    if (name === "strategies") {
      await page.waitForSelector('[data-testid="versions"] tr[data-version], [data-testid="versions"] [data-empty]', { timeout: 15000 }).catch(() => null);
      info.runs = await page.$$eval("li[data-run]", (rows) =>
        rows.map((r) => ({ id: r.getAttribute("data-run"), status: r.getAttribute("data-status"), text: r.textContent.trim() })),
      );
      info.versions = await readRows(page, "tr[data-version]", "data-version");
    }
    if (name === "positions") {
      // 6b. The symbol page, reached from a table that names the symbol: the chart's candles are
      // drawn (pixels of the up and down colours on its canvases), its levels listed.
      await page.click('[data-testid="positions-table"] a[href="/symbols/BTCUSDT"]');
      await page.waitForSelector('[data-page="symbol"] [data-chart-symbol="BTCUSDT"]', { timeout: 15000 });
      await page.waitForFunction(() => Number(document.querySelector("[data-chart-symbol]")?.getAttribute("data-candles")) > 0, null, { timeout: 15000 }).catch(() => null);
      await page.waitForTimeout(500);
      out.symbol_page = await page.$eval("[data-chart-symbol]", (el) => {
        // Columns of the pane with 4+ pixels of a candle colour: candles are vertical, while
        // the take-profit and stop lines (same colours) are 1 px rows and their labels sit on
        // the narrow price-axis canvas, left out.
        const painted = { up: 0, down: 0 };
        for (const canvas of el.querySelectorAll("canvas")) {
          if (canvas.width < 200 || canvas.height < 100) continue;
          const { width, height } = canvas;
          const px = canvas.getContext("2d").getImageData(0, 0, width, height).data;
          const up = new Uint16Array(width), down = new Uint16Array(width);
          for (let i = 0; i < px.length; i += 4) {
            const x = (i / 4) % width;
            if (px[i] === 0x2e && px[i + 1] === 0xc2 && px[i + 2] === 0x7e) up[x]++;
            if (px[i] === 0xff && px[i + 1] === 0x5c && px[i + 2] === 0x61) down[x]++;
          }
          painted.up += up.filter((n) => n >= 4).length;
          painted.down += down.filter((n) => n >= 4).length;
        }
        return {
          url: location.pathname,
          candles: Number(el.getAttribute("data-candles")),
          fills: Number(el.getAttribute("data-fills")),
          levels: Object.fromEntries([...el.querySelectorAll("[data-level]")].map((l) => [l.getAttribute("data-level"), l.getAttribute("data-raw")])),
          painted,
        };
      });
      await page.screenshot({ path: join(artifacts, "symbol-1280.png"), fullPage: true });
      await page.goBack();
      await page.waitForSelector('[data-page="positions"]', { timeout: 10000 });
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

  // 7. Phone width: the overview fits 375 px without horizontal scrolling of the page.
  await page.setViewportSize({ width: 375, height: 812 });
  await page.click('nav a[href="/"]');
  await page.waitForSelector('[data-page="overview"][data-ready="1"]');
  await page.waitForTimeout(300);
  out.phone_overflow_px = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await page.screenshot({ path: join(artifacts, "overview-375.png"), fullPage: true });

  // 8. Log out: back to login, and the API refuses data again.
  await page.click("text=Log out");
  await page.waitForSelector('form[aria-label="login"]', { timeout: 10000 });
  out.me_after_logout = await page.evaluate(async () => (await fetch("/api/auth/me/")).status);

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
