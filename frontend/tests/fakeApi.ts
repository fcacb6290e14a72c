import { vi } from "vitest";

export type Handler = (init?: RequestInit) => Response | Promise<Response> | "fail";

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
    const res = await handler(init);
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
        symbol: "BTCUSDT", side: "LONG", position_size: "0.010", entry_price: "60000.0", mark_price: "61000.0",
        leverage: 10, notional: "610.00", initial_margin: "60.00", unrealized_pnl: "10.00000000",
        unrealized_pct: "16.67", realized_pnl: "-5.00", realized_pct: "-0.05", total_pnl: "5.00",
        realized_trades: 2, commission: "-0.61", funding: "0.02", reward: "16.62",
      },
    ],
    best_performer: "BTCUSDT",
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
