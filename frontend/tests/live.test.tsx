/** The live feed (src/hooks/live.ts): pushed events into the query cache, polling as the
 * fallback when the feed is down, and the page saying which. EventSource is the browser's (jsdom
 * has none): a stand-in the test drives, as fetch is stubbed for the API. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, waitFor } from "@testing-library/react";
import { HEALTH_OK, INTENTS, ORDERS, POSITIONS, fakeApi, json, rlDashboard } from "./fakeApi";
import { renderAt } from "./render";
import { MINUS } from "../src/lib/money";

class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  onerror: ((e: Event) => void) | null = null;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();

  constructor(public url: string) {
    FakeEventSource.instances.push(this);
  }

  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }

  close() {
    this.readyState = FakeEventSource.CLOSED;
  }

  /** the server sends an event */
  emit(type: string, data: unknown) {
    this.readyState = FakeEventSource.OPEN;
    act(() => (this.listeners.get(type) ?? []).forEach((fn) => fn(new MessageEvent(type, { data: JSON.stringify(data) }))));
  }

  /** the connection drops (the browser retries: CONNECTING) or is refused (503: CLOSED) */
  fail(closed: boolean) {
    this.readyState = closed ? FakeEventSource.CLOSED : FakeEventSource.CONNECTING;
    act(() => this.onerror?.(new Event("error")));
  }
}

const me = () => json({ username: "alice", is_staff: false });

beforeEach(() => {
  vi.unstubAllGlobals();
  FakeEventSource.instances = [];
  vi.stubGlobal("EventSource", FakeEventSource);
});

afterEach(() => vi.unstubAllGlobals());

function positionsPage() {
  return fakeApi({
    "/api/auth/me/": me,
    "/api/health/": () => json(HEALTH_OK),
    "/api/rl-dashboard/": () => json(rlDashboard()),
    "/api/trading/positions/": () => json({ count: 1, results: POSITIONS }),
  });
}

const gets = (calls: string[], path: string) => calls.filter((c) => c.startsWith(`GET ${path}`)).length;

describe("live feed", () => {
  it("puts a pushed mark and unrealized PnL into the positions table at once, without a fetch", async () => {
    const { calls } = positionsPage();
    const { container } = renderAt("/positions");
    await waitFor(() => expect(container.querySelector('tr[data-position="ETHUSDT"]')).not.toBeNull());
    const feed = FakeEventSource.instances.at(-1)!;
    expect(feed.url).toBe("/api/live/");
    feed.emit("hello", { server_time_ms: Date.now() });
    expect(container.querySelector('[data-live="up"]')!.textContent).toMatch(/^Live/);
    const fetched = gets(calls, "/api/trading/positions/");
    feed.emit("trading", {
      kind: "position",
      account: "paper-desk",
      symbol: "ETHUSDT",
      row: { amount: "-0.5000000000", mark_price: "3020.00000000", unrealized_pnl: "-10.00000000", trailing_stop: "3030.00000000" },
    });
    const row = container.querySelector('tr[data-position="ETHUSDT"]')!;
    const text = (k: string) => row.querySelector(`[data-cell="${k}"]`)!.textContent;
    // TanStack notifies on its next tick: well before any poll (20 s while the feed is up)
    await waitFor(() => expect(text("mark_price")).toBe("3,020.00"), { timeout: 1000 });
    expect(text("unrealized_pnl")).toBe(`${MINUS}10.00 USDT`);
    expect(text("trailing_stop")).toBe("3,030.00");
    expect(text("take_profit")).toBe("2,850.00"); // not pushed: kept
    expect(gets(calls, "/api/trading/positions/")).toBe(fetched);
  });

  it("refetches the audit trail as soon as an intent or order event arrives", async () => {
    const { calls } = fakeApi({
      "/api/auth/me/": me,
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": () => json({ count: 2, results: INTENTS }),
      "/api/trading/orders/": () => json({ count: 2, results: ORDERS }),
    });
    const { container } = renderAt("/audit");
    await waitFor(() => expect(container.querySelectorAll("tr[data-intent]").length).toBe(2));
    const feed = FakeEventSource.instances.at(-1)!;
    feed.emit("hello", { server_time_ms: Date.now() });
    const intents = gets(calls, "/api/trading/intents/");
    const orders = gets(calls, "/api/trading/orders/");
    feed.emit("trading", { kind: "intent", account: "paper-desk", symbol: "BTCUSDT", row: { id: 3, state: "FILLED" } });
    // well before a poll (20 s while the feed is up)
    await waitFor(() => expect(gets(calls, "/api/trading/intents/")).toBe(intents + 1), { timeout: 2000 });
    feed.emit("trading", { kind: "order", account: "paper-desk", symbol: "BTCUSDT", row: { order_id: 557, status: "FILLED" } });
    await waitFor(() => expect(gets(calls, "/api/trading/orders/")).toBe(orders + 1), { timeout: 2000 });
  });

  it("says when the feed is down and polls every 5 s meanwhile", async () => {
    const { calls } = positionsPage();
    const { container } = renderAt("/positions");
    await waitFor(() => expect(container.querySelector('tr[data-position="ETHUSDT"]')).not.toBeNull());
    const feed = FakeEventSource.instances.at(-1)!;
    feed.emit("hello", { server_time_ms: Date.now() });
    expect(container.querySelector('[data-live="up"]')).not.toBeNull();
    // refused (503: every feed of the server is taken): the browser gives up, the page polls
    feed.fail(true);
    const badge = container.querySelector('[data-live="down"]')!;
    expect(badge.textContent).toMatch(/^Live feed down \(.*\): polling every 5 s$/);
    const fetched = gets(calls, "/api/trading/positions/");
    await waitFor(() => expect(gets(calls, "/api/trading/positions/")).toBeGreaterThan(fetched), { timeout: 8000 });
    // a dropped connection the browser retries by itself is down too, until it is back
    feed.emit("hello", { server_time_ms: Date.now() });
    feed.fail(false);
    expect(container.querySelector('[data-live="down"]')).not.toBeNull();
    feed.emit("hello", { server_time_ms: Date.now() });
    expect(container.querySelector('[data-live="up"]')).not.toBeNull();
  });
});
