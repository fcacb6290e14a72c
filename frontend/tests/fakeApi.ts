import { vi } from "vitest";

export type Handler = (init?: RequestInit, url?: string) => Response | Promise<Response> | "fail";

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export const notFound = () => new Response("<h1>Not Found</h1>", { status: 404, headers: { "Content-Type": "text/html" } });

/** A fetch stub routing by path (query ignored unless a key has one); unknown paths are 404. */
export function fakeApi(routes: Record<string, Handler>) {
  const calls: string[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push(`${init?.method ?? "GET"} ${url}`);
    const handler = routes[url] ?? routes[url.split("?")[0]];
    if (!handler) return notFound();
    const res = await handler(init, url);
    if (res === "fail") throw new TypeError("Failed to fetch");
    return res;
  });
  vi.stubGlobal("fetch", fetchMock);
  return { fetchMock, calls };
}

export const HEALTH_OK = {
  status: "ok",
  down: [],
  checked_at: "2026-01-10T12:00:00+00:00",
  components: {
    database: { ok: true, latency_ms: 1, vendor: "sqlite" },
    redis: { ok: true, latency_ms: 1 },
    queues: { market: { ok: true, workers: ["w1@host"] }, pnl: { ok: true, workers: ["w1@host"] } },
    beat: { ok: true, last_tick: "2026-01-10T12:00:00+00:00", age_seconds: 1 },
    exchange: { ok: true, latency_ms: 3, url: "http://127.0.0.1:8030" },
  },
};

export function rlDashboard(over: Record<string, unknown> = {}) {
  return {
    status: "ok",
    message: "",
    window: "24h",
    window_start: "2026-01-09T12:00:00+00:00",
    as_of: new Date().toISOString(),
    poll_age_seconds: 2,
    symbols_tracked: 1,
    symbols: [
      {
        symbol: "BTCUSDT", account_id: 1, account: "paper-desk", side: "LONG", position_size: "0.010", entry_price: "60000.0", mark_price: "61000.0",
        leverage: 10, notional: "610.00", initial_margin: "60.00", unrealized_pnl: "10.00000000",
        unrealized_pct: "16.67", realized_pnl: "-5.00", realized_pct: "-0.05", total_pnl: "5.00",
        realized_trades: 2, commission: "-0.61", funding: "0.02", reward: "16.62",
      },
    ],
    best_performer: "BTCUSDT",
    best_performer_account: "paper-desk",
    best_reward: "16.62",
    avg_reward: "16.62",
    totals: {
      wallet_balance: "10000.00", equity: "10010.00", available_balance: "9950.00", unrealized_pnl: "10.00000000",
      realized_pnl: "-5.00", total_pnl: "5.00", commission: "-0.61", funding: "0.02", net_pnl: "4.41",
      realized_trades: 2, initial_margin: "60.00",
    },
    ...over,
  };
}

export const INTENTS = [
  {
    id: 2, account: "paper-desk", symbol: "ETHUSDT", side: "SELL", action: "OPEN", quantity: "0.5000000000", leverage: 20,
    reduce_only: false, reason: "signal", confidence: "0.7100", signal: {}, reference_price: "3000.00000000",
    risk_verdict: "rejected", risk_reason: "exposure 1505 > 1000 per symbol", state: "REJECTED", client_order_id: null,
    order_id: null, executed_qty: "0E-10", avg_price: null, realized_pnl: null, error_code: null, error_message: "",
    attempts: 0, created_at: "2026-01-10T11:00:00Z", submitted_at: null, finished_at: "2026-01-10T11:00:01Z",
  },
  {
    id: 1, account: "paper-desk", symbol: "BTCUSDT", side: "BUY", action: "OPEN", quantity: "0.0100000000", leverage: 10,
    reduce_only: false, reason: "signal", confidence: "0.8000", signal: {}, reference_price: "60000.00000000",
    risk_verdict: "approved", risk_reason: "", state: "FILLED", client_order_id: "qt-1-1", order_id: 555,
    executed_qty: "0.0100000000", avg_price: "60000.50000000", realized_pnl: "-1.23450000", error_code: null,
    error_message: "", attempts: 1, created_at: "2026-01-10T10:00:00Z", submitted_at: "2026-01-10T10:00:00Z",
    finished_at: "2026-01-10T10:00:01Z",
  },
];

export const ORDERS = [
  {
    order_id: 555, account: "paper-desk", symbol: "BTCUSDT", client_order_id: "qt-1-1", intent: 1, side: "BUY", type: "MARKET",
    status: "FILLED", orig_qty: "0.0100000000", executed_qty: "0.0100000000", avg_price: "60000.50000000",
    reduce_only: false, external: false, update_time: "2026-01-10T10:00:01Z",
  },
  {
    order_id: 556, account: "paper-desk", symbol: "BTCUSDT", client_order_id: "web_x", intent: null, side: "SELL", type: "LIMIT",
    status: "CANCELED", orig_qty: "0.0050000000", executed_qty: "0E-10", avg_price: "0E-8",
    reduce_only: true, external: true, update_time: "2026-01-10T10:30:00Z",
  },
];

export const POSITIONS = [
  {
    account: "paper-desk", symbol: "ETHUSDT", amount: "-0.5000000000", entry_price: "3000.00000000", mark_price: "3010.50000000",
    unrealized_pnl: "-5.25000000", leverage: 20, entries: 1, take_profit: "2850.00000000", stop_loss: "3090.00000000",
    trailing_pct: "1.5000", best_price: "2990.00000000", trailing_stop: "3034.85000000",
    backstop_price: "3120.00000000",
    opened_at: "2026-01-10T09:00:00Z", updated_at: "2026-01-10T12:00:00Z",
  },
];

export function desk(over: Record<string, unknown> = {}) {
  return {
    mode: "normal", kill_switch: false, reason: "", changed_by: null, changed_at: null,
    equity: "10004.75000000", equity_peak: "10010.00000000", day_start_equity: "10000.00000000",
    policy: {
      tier: "BALANCED", max_positions_total: 10, max_entries_per_symbol: 3, max_exposure_total: "5000.00000000",
      max_exposure_per_symbol: "1000.00000000", max_leverage: 20, effective_max_leverage: 20, min_confidence: "0.6500",
      max_daily_loss: "250.00000000", max_drawdown_pct: "4.0000",
    },
    ...over,
  };
}
