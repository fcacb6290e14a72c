import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { HEALTH_OK, INTENTS, ORDERS, POSITIONS, desk, fakeApi, json, rlDashboard, type Handler } from "./fakeApi";
import { renderAt } from "./render";
import { MINUS } from "../src/lib/money";

const me = (is_staff: boolean) => () => json({ username: is_staff ? "boss" : "alice", is_staff });

beforeEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "csrftoken=tok123";
});

const overview = (over: Record<string, Handler>): Record<string, Handler> => ({
  "/api/health/": () => json(HEALTH_OK),
  "/api/rl-dashboard/": () => json(rlDashboard()),
  "/api/pnl/daily/": () => json({ days: [] }),
  ...over,
});

/** The overview for a staff user (a session with a CSRF token) with this desk endpoint. */
const staffOverview = (deskHandler: Handler): Record<string, Handler> =>
  overview({
    "/api/auth/me/": me(true),
    "/api/auth/csrf/": () => json({ csrf_token: "tok123" }),
    "/api/trading/desk/": deskHandler,
  });

describe("desk card", () => {
  it("shows mode, kill switch, reason and policy; read-only for a non-staff user", async () => {
    fakeApi(
      overview({
        "/api/auth/me/": me(false),
        "/api/trading/desk/": () =>
          json(desk({ mode: "halt", kill_switch: true, reason: "drawdown 4.2 % > 4 %", changed_by: "boss", changed_at: "2026-01-10T11:00:00Z" })),
      }),
    );
    const { container } = renderAt("/");
    await waitFor(() => expect(container.querySelector('[data-figure="kill_switch"]')?.textContent).toBe("ENGAGED"));
    expect(container.querySelector('[data-figure="desk_mode"]')!.textContent).toBe("halt");
    expect(screen.getByText(/drawdown 4.2 %/).textContent).toContain("by boss");
    expect(container.querySelector("[data-desk-policy]")!.textContent).toContain("BALANCED: max leverage 20×");
    expect(container.querySelector('[data-figure="desk_equity"]')!.textContent).toBe("10,004.75 USDT");
    expect(container.querySelector("[data-desk-readonly]")).not.toBeNull();
    expect(screen.queryByTestId("desk-controls")).toBeNull();
    expect(screen.queryByRole("button", { name: /kill switch/ })).toBeNull();
  });

  it("lets a staff user change the mode only after confirming, then shows the desk's answer", async () => {
    let state = desk();
    const posts: unknown[] = [];
    const { calls } = fakeApi(
      staffOverview((init) => {
        if (init?.method === "POST") {
          const body = JSON.parse(String(init.body));
          posts.push(body);
          state = desk({ ...body, changed_by: "boss", changed_at: "2026-01-10T12:00:00Z" });
        }
        return json(state);
      }),
    );
    const { container } = renderAt("/");
    const controls = await screen.findByTestId("desk-controls");
    expect(container.querySelector("[data-desk-readonly]")).toBeNull();
    fireEvent.click(within(controls).getByRole("button", { name: "Set halt" }));
    // nothing is sent before the confirm step
    const dialog = screen.getByRole("dialog", { name: "confirm desk change" });
    expect(dialog.textContent).toContain("from normal to halt");
    expect(calls.filter((c) => c.startsWith("POST"))).toEqual([]);
    // cancel sends nothing
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    fireEvent.click(within(controls).getByRole("button", { name: "Set halt" }));
    fireEvent.change(screen.getByLabelText("Reason"), { target: { value: "manual halt" } });
    fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(container.querySelector('[data-figure="desk_mode"]')?.textContent).toBe("halt"));
    expect(posts).toEqual([{ mode: "halt", reason: "manual halt" }]);
    expect(screen.queryByRole("dialog")).toBeNull();
    // then the kill switch
    fireEvent.click(screen.getByRole("button", { name: "Engage kill switch" }));
    expect(screen.getByRole("dialog").textContent).toContain("ENGAGE the kill switch");
    fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(container.querySelector('[data-figure="kill_switch"]')?.textContent).toBe("ENGAGED"));
    expect(posts[1]).toEqual({ kill_switch: true, reason: "" });
    expect(screen.getByRole("button", { name: "Release kill switch" })).toBeTruthy();
  });

  it("shows the API's refusal and keeps the desk as it was", async () => {
    fakeApi(
      staffOverview((init) =>
        init?.method === "POST" ? json({ detail: "You do not have permission to perform this action." }, 403) : json(desk())),
    );
    const { container } = renderAt("/");
    fireEvent.click(await screen.findByRole("button", { name: "Set defensive" }));
    fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    expect((await screen.findByRole("alert")).textContent).toContain("You do not have permission");
    expect(container.querySelector('[data-figure="desk_mode"]')!.textContent).toBe("normal");
  });
});

describe("flatten (desk card)", () => {
  it("is offered to staff only, posts {flatten: true} only after Confirm, and shows the intents made", async () => {
    const posts: unknown[] = [];
    const { calls } = fakeApi(
      staffOverview((init) => {
        if (init?.method === "POST") {
          posts.push(JSON.parse(String(init.body)));
          return json({ ...desk(), flatten_intents: [41, 42] });
        }
        return json(desk());
      }),
    );
    const { container } = renderAt("/");
    const controls = await screen.findByTestId("desk-controls");
    fireEvent.click(within(controls).getByRole("button", { name: "Flatten all positions" }));
    const dialog = screen.getByRole("dialog", { name: "confirm desk change" });
    expect(dialog.textContent).toContain("FLATTEN: close every open position now");
    expect(dialog.textContent).toContain("The mode stays normal");
    expect(within(dialog).queryByLabelText("Reason")).toBeNull(); // the API keeps none for flatten
    expect(calls.filter((c) => c.startsWith("POST"))).toEqual([]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(posts).toEqual([]);
    fireEvent.click(within(controls).getByRole("button", { name: "Flatten all positions" }));
    fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(container.querySelector("[data-flatten-result]")).not.toBeNull());
    expect(posts).toEqual([{ flatten: true }]);
    const result = container.querySelector("[data-flatten-result]")!;
    expect(result.getAttribute("data-flatten-result")).toBe("41,42");
    expect(result.textContent).toBe("Flatten sent: 2 reduce-only intents (#41, #42); see Intents & orders.");
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("says when there was nothing to close, and shows a refusal", async () => {
    let refuse = false;
    fakeApi(
      staffOverview((init) =>
        init?.method !== "POST"
          ? json(desk())
          : refuse
            ? json({ detail: "You do not have permission to perform this action." }, 403)
            : json({ ...desk(), flatten_intents: [] })),
    );
    const { container } = renderAt("/");
    fireEvent.click(await screen.findByRole("button", { name: "Flatten all positions" }));
    fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(container.querySelector("[data-flatten-result]")?.textContent).toContain("no open position to close"));
    refuse = true;
    fireEvent.click(screen.getByRole("button", { name: "Flatten all positions" }));
    expect(container.querySelector("[data-flatten-result]")).toBeNull(); // a new ask clears the old answer
    fireEvent.click(screen.getByRole("button", { name: "Confirm" }));
    expect((await screen.findByRole("alert")).textContent).toContain("You do not have permission");
    expect(container.querySelector("[data-flatten-result]")).toBeNull();
  });

  it("is not there for a non-staff user", async () => {
    fakeApi(overview({ "/api/auth/me/": me(false), "/api/trading/desk/": () => json(desk()) }));
    const { container } = renderAt("/");
    await waitFor(() => expect(container.querySelector("[data-desk-readonly]")).not.toBeNull());
    expect(screen.queryByRole("button", { name: /flatten/i })).toBeNull();
  });
});

describe("intents and orders", () => {
  it("shows the audit trail with proper columns and money with its sign", async () => {
    fakeApi({
      "/api/auth/me/": me(false),
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": () => json({ count: 2, results: INTENTS }),
      "/api/trading/orders/": () => json({ count: 2, results: ORDERS }),
    });
    const { container } = renderAt("/audit");
    await waitFor(() => expect(container.querySelector('tr[data-intent="1"]')).not.toBeNull());
    const row = container.querySelector('tr[data-intent="1"]')!;
    const cell = (r: Element, k: string) => r.querySelector(`[data-cell="${k}"]`)!;
    expect(cell(row, "realized_pnl").textContent).toBe(`${MINUS}1.23 USDT`);
    expect(cell(row, "realized_pnl").getAttribute("data-raw")).toBe("-1.23450000");
    expect(cell(row, "avg_price").textContent).toBe("60,000.50");
    expect(cell(row, "quantity").textContent).toBe("0.01");
    expect(cell(row, "state").textContent).toBe("FILLED");
    const rejected = container.querySelector('tr[data-intent="2"]')!;
    expect(cell(rejected, "risk_verdict").textContent).toBe("rejected: exposure 1505 > 1000 per symbol");
    expect(cell(rejected, "realized_pnl").textContent).toBe("—");
    const order = container.querySelector('tr[data-order="556"]')!;
    expect(cell(order, "external").textContent).toBe("outside the desk");
    expect(cell(order, "reduce_only").textContent).toBe("yes");
    expect(screen.getAllByText("2 shown · 2 match").length).toBe(2);
  });

  it("sends every filter to the server and shows its rows and count, filtering nothing itself", async () => {
    // the fake answers per query; its rows are deliberately NOT filtered by side/status, so a
    // page filtering the loaded rows itself would show fewer than the server sent
    const { calls } = fakeApi({
      "/api/auth/me/": me(false),
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": (_i, url) => {
        const q = new URL(url!, "http://x").searchParams;
        const rows = INTENTS.filter((r) => !q.get("symbol") || r.symbol === q.get("symbol"));
        return json({ count: q.get("side") ? 57 : rows.length, results: rows });
      },
      "/api/trading/orders/": (_i, url) => {
        const q = new URL(url!, "http://x").searchParams;
        const rows = ORDERS.filter((r) => !q.get("symbol") || r.symbol === q.get("symbol"));
        return json({ count: q.get("status") ? 300 : rows.length, results: rows });
      },
    });
    const { container } = renderAt("/audit");
    await waitFor(() => expect(container.querySelectorAll("tr[data-intent]").length).toBe(2));
    fireEvent.change(screen.getByLabelText("Symbol"), { target: { value: "ethusdt" } });
    await waitFor(() => expect(container.querySelectorAll("tr[data-intent]").length).toBe(1));
    expect(calls.some((c) => c.includes("/api/trading/intents/?limit=200&symbol=ETHUSDT"))).toBe(true);
    expect(screen.getByText("No orders match these filters")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Symbol"), { target: { value: "" } });

    fireEvent.change(screen.getByLabelText("Side"), { target: { value: "SELL" } });
    fireEvent.change(screen.getByLabelText("Intent state"), { target: { value: "FILLED" } });
    fireEvent.change(screen.getByLabelText("Order status"), { target: { value: "CANCELED" } });
    await waitFor(() => expect(calls).toContain("GET /api/trading/intents/?limit=200&side=SELL&state=FILLED"));
    await waitFor(() => expect(calls).toContain("GET /api/trading/orders/?limit=200&side=SELL&status=CANCELED"));
    // the server's rows as sent (a BUY among them stays: the page does not second-guess it)
    await waitFor(() => expect(container.querySelector('tr[data-intent="1"]')).not.toBeNull());
    expect(container.querySelectorAll("tr[data-intent]").length).toBe(2);
    expect(container.querySelector('tr[data-order="555"]')).not.toBeNull();
    const intentCount = screen.getByTestId("audit-intents").querySelector("[data-count]")!;
    expect(intentCount.textContent).toBe("2 shown · 57 match (the newest 2)");
    expect(intentCount.getAttribute("data-query")).toBe("limit=200&side=SELL&state=FILLED");
    expect(screen.getByTestId("audit-orders").querySelector("[data-count]")!.textContent).toBe("2 shown · 300 match (the newest 2)");
  });

  it("never shows one filter's rows under another filter's label, even while the answer is slow", async () => {
    // the symbol query is held until released: the page must show nothing for it meanwhile, and
    // every frame it ever commits with the symbol's label must hold the symbol's own rows
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    fakeApi({
      "/api/auth/me/": me(false),
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": async (_i, url) => {
        const symbol = new URL(url!, "http://x").searchParams.get("symbol");
        if (symbol) await held;
        const rows = INTENTS.filter((r) => !symbol || r.symbol === symbol);
        return json({ count: rows.length, results: rows });
      },
      "/api/trading/orders/": () => json({ count: 2, results: ORDERS }),
    });
    const { container } = renderAt("/audit");
    await waitFor(() => expect(container.querySelectorAll("tr[data-intent]").length).toBe(2));
    const card = screen.getByTestId("audit-intents");
    const frames: { query: string | null; ids: string[] }[] = [];
    const observer = new MutationObserver(() =>
      frames.push({
        query: card.querySelector("[data-count]")?.getAttribute("data-query") ?? null,
        ids: [...card.querySelectorAll("tr[data-intent]")].map((r) => r.getAttribute("data-intent")!),
      }),
    );
    observer.observe(card, { subtree: true, childList: true, attributes: true, characterData: true });
    const ethIds = INTENTS.filter((r) => r.symbol === "ETHUSDT").map((r) => String(r.id));
    expect(ethIds.length).toBeGreaterThan(0);

    fireEvent.change(screen.getByLabelText("Symbol"), { target: { value: "ethusdt" } });
    // the debounce fires and the request is in flight: no rows, no count, for the new filter
    await waitFor(() => expect(card.querySelectorAll("tr[data-intent]").length).toBe(0));
    expect(card.querySelector("[data-count]")).toBeNull();
    release();
    await waitFor(() => expect(card.querySelector("[data-count]")?.getAttribute("data-query")).toBe("limit=200&symbol=ETHUSDT"));
    observer.disconnect();
    const labelled = frames.filter((f) => f.query === "limit=200&symbol=ETHUSDT");
    expect(labelled.length).toBeGreaterThan(0);
    for (const f of labelled) expect(f.ids).toEqual(ethIds);
    for (const f of frames.filter((f) => f.query === "limit=200")) expect(f.ids.length).toBe(2);
  });

  it("shows the API's 400 message when it refuses a filter", async () => {
    fakeApi({
      "/api/auth/me/": me(false),
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": (_i, url) =>
        url!.includes("symbol=B&") || url!.endsWith("symbol=B")
          ? json({ symbol: ["A symbol is 2-32 letters or digits, e.g. BTCUSDT."] }, 400)
          : json({ count: 2, results: INTENTS }),
      "/api/trading/orders/": (_i, url) =>
        url!.includes("status=EXPIRED_IN_MATCH")
          ? json({ status: ['"EXPIRED_IN_MATCH" is not one of NEW, FILLED.'] }, 400)
          : json({ count: 2, results: ORDERS }),
    });
    const { container } = renderAt("/audit");
    await waitFor(() => expect(container.querySelectorAll("tr[data-intent]").length).toBe(2));
    fireEvent.change(screen.getByLabelText("Symbol"), { target: { value: "b" } });
    const intents = screen.getByTestId("audit-intents");
    await waitFor(() => expect(intents.querySelector("[data-refused]")).not.toBeNull());
    expect(intents.querySelector("[data-refused]")!.textContent).toBe("symbol: A symbol is 2-32 letters or digits, e.g. BTCUSDT.");
    expect(intents.textContent).toContain("Refused by the API");
    // no rows from before are passed off as this filter's answer
    expect(container.querySelectorAll("tr[data-intent]").length).toBe(0);
    fireEvent.change(screen.getByLabelText("Symbol"), { target: { value: "" } });
    fireEvent.change(screen.getByLabelText("Order status"), { target: { value: "EXPIRED_IN_MATCH" } });
    const orders = screen.getByTestId("audit-orders");
    await waitFor(() => expect(orders.querySelector("[data-refused]")?.textContent).toBe('status: "EXPIRED_IN_MATCH" is not one of NEW, FILLED.'));
  });
});

describe("positions", () => {
  it("shows live marks, unrealized PnL and the TP / SL / trailing levels", async () => {
    fakeApi({
      "/api/auth/me/": me(false),
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard()),
      "/api/trading/positions/": () => json({ count: 1, results: POSITIONS }),
    });
    const { container } = renderAt("/positions");
    await waitFor(() => expect(container.querySelector('tr[data-position="ETHUSDT"]')).not.toBeNull());
    const row = container.querySelector('tr[data-position="ETHUSDT"]')!;
    const text = (k: string) => row.querySelector(`[data-cell="${k}"]`)!.textContent;
    expect(text("side")).toBe("SHORT");
    expect(text("mark_price")).toBe("3,010.50");
    expect(text("unrealized_pnl")).toBe(`${MINUS}5.25 USDT`);
    expect(text("take_profit")).toBe("2,850.00");
    expect(text("stop_loss")).toBe("3,090.00");
    expect(text("trailing_pct")).toBe("1.50 %");
    expect(text("trailing_stop")).toBe("3,034.85");
    expect(text("backstop_price")).toBe("3,120.00");
    expect(text("best_price")).toBe("2,990.00");
  });

  it("says so when no position is open", async () => {
    fakeApi({
      "/api/auth/me/": me(false),
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard()),
      "/api/trading/positions/": () => json({ count: 0, results: [] }),
    });
    renderAt("/positions");
    await screen.findByText("No open positions");
  });
});

describe("health: port map", () => {
  it("lists every port with exposure, holder and conflicts", async () => {
    fakeApi({
      "/api/auth/me/": me(false),
      "/api/health/": () => json(HEALTH_OK),
      "/api/ops/ports/": () =>
        json({
          ports: [
            { service: "web", bind: "0.0.0.0", port: 8025, exposure: "NETWORK", what: "Django API", listening: true, holder: "gunicorn[12]", ours: true, conflict: null },
            { service: "redis", bind: "127.0.0.1", port: 6379, exposure: "loopback only", what: "broker", listening: true, holder: "python3[99]", ours: false, conflict: "port 6379 (redis) is held by python3[99]" },
            { service: "flower", bind: "127.0.0.1", port: 5555, exposure: "loopback only", what: "Celery monitor", listening: false, holder: null, ours: false, conflict: null },
          ],
        }),
    });
    const { container } = renderAt("/health");
    await screen.findByText("Port map · 1 conflict");
    const row = (s: string) => container.querySelector(`tr[data-port="${s}"]`)!;
    expect(row("redis").getAttribute("data-conflict")).toBe("1");
    expect(row("redis").querySelector('[data-cell="conflict"]')!.textContent).toContain("held by python3[99]");
    expect(row("redis").querySelector('[data-cell="ours"]')!.textContent).toBe("NO");
    expect(row("web").querySelector('[data-cell="listening"]')!.textContent).toBe("gunicorn[12]");
    expect(row("web").querySelector('[data-cell="exposure"]')!.className).toBe("warn");
    expect(row("flower").querySelector('[data-cell="listening"]')!.textContent).toBe("free");
    // the health table is still there
    expect(container.querySelector('[data-component="queue:market"]')!.textContent).toContain("w1@host");
  });

  it("explains a desk without the ports endpoint", async () => {
    fakeApi({ "/api/auth/me/": me(false), "/api/health/": () => json(HEALTH_OK) });
    renderAt("/health");
    await screen.findByText("/api/ops/ports/");
    expect(screen.getByText("Not available on this desk yet")).toBeTruthy();
  });
});
