import { beforeEach, describe, expect, it, vi } from "vitest";
import { waitFor } from "@testing-library/react";
import { HEALTH_OK, ORDERS, POSITIONS, fakeApi, json, rlDashboard } from "./fakeApi";
import { renderAt } from "./render";

beforeEach(() => {
  vi.unstubAllGlobals();
});

const ME = () => json({ username: "alice", is_staff: false });
// Two symbols with realized PnL in the window and no position: the tracker's zeros
const FLAT = (symbol: string) => ({
  symbol, side: "", position_size: "0", entry_price: "0.00000000", mark_price: "0.00000000", leverage: 0,
  notional: "0.00000000", initial_margin: "0.00000000", unrealized_pnl: "0.00000000", unrealized_pct: "0.00000000",
  realized_pnl: "1.50000000", realized_pct: "0.01500000", total_pnl: "1.50000000", realized_trades: 1,
  commission: "-0.10000000", funding: "0.00000000", reward: "0.01500000",
});
const BOTH_FLAT = rlDashboard({ symbols: [FLAT("BTCUSDT"), FLAT("ETHUSDT")], symbols_tracked: 2 });

describe("flat symbols are not open positions", () => {
  it("the overview counts no open position when every tracked symbol is flat", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(BOTH_FLAT),
      "/api/pnl/daily/": () => json({ days: [] }),
    });
    const { container } = renderAt("/");
    await waitFor(() => expect(container.querySelector('[data-testid="positions-card"] li[data-symbol]')).not.toBeNull(), { timeout: 8000 });
    const title = container.querySelector('[data-testid="positions-card"] h2')!.textContent;
    expect(title).toBe("Open positions · 0 open · 2 flat");
    expect(title).not.toContain("2 tracked");
  }, 15_000);

  it("one open and one flat symbol: 1 open", async () => {
    const open = rlDashboard().symbols[0];
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [open, FLAT("ETHUSDT")], symbols_tracked: 2 })),
      "/api/pnl/daily/": () => json({ days: [] }),
    });
    const { container } = renderAt("/");
    await waitFor(() => expect(container.querySelector('[data-testid="positions-card"] li[data-symbol]')).not.toBeNull(), { timeout: 8000 });
    expect(container.querySelector('[data-testid="positions-card"] h2')!.textContent).toBe("Open positions · 1 open · 1 flat");
  }, 15_000);

  it("the positions table shows no entry, mark or size for a flat symbol, and its realized PnL", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(BOTH_FLAT),
      "/api/trading/positions/": () => json({ count: 0, results: [] }),
    });
    const { container } = renderAt("/positions");
    await waitFor(() => expect(container.querySelector('tr[data-symbol="BTCUSDT"]')).not.toBeNull(), { timeout: 8000 });
    const row = container.querySelector('tr[data-symbol="BTCUSDT"]')!;
    const text = (k: string) => row.querySelector(`[data-cell="${k}"]`)!.textContent;
    expect(row.getAttribute("data-open")).toBe("0");
    expect(text("entry_price")).toBe("—");
    expect(text("mark_price")).toBe("—");
    expect(text("position_size")).toBe("—");
    expect(row.textContent).not.toContain("0.00 USDT0.00 USDT");
    expect(text("realized_pnl")).toBe("+1.50 USDT");
  }, 15_000);
});

describe("one quantity format", () => {
  it("the same quantity reads the same in the orders, positions and PnL tables", async () => {
    const order = { ...ORDERS[1], orig_qty: "0.0020000000" };
    const position = { ...POSITIONS[0], symbol: "BTCUSDT", amount: "0.0020000000" };
    const pnl = { ...rlDashboard().symbols[0], position_size: "0.002" };
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": () => json({ count: 0, results: [] }),
      "/api/trading/orders/": () => json({ count: 1, results: [order] }),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [pnl] })),
      "/api/trading/positions/": () => json({ count: 1, results: [position] }),
    });
    const audit = renderAt("/audit");
    await waitFor(() => expect(audit.container.querySelector('tr[data-order="556"]')).not.toBeNull(), { timeout: 8000 });
    expect(audit.container.querySelector('tr[data-order="556"] [data-cell="orig_qty"]')!.textContent).toBe("0.002");
    audit.unmount();
    const { container } = renderAt("/positions");
    await waitFor(() => expect(container.querySelector('tr[data-position="BTCUSDT"]')).not.toBeNull(), { timeout: 8000 });
    expect(container.querySelector('tr[data-position="BTCUSDT"] [data-cell="amount"]')!.textContent).toBe("0.002");
    expect(container.querySelector('tr[data-symbol="BTCUSDT"] [data-cell="position_size"]')!.textContent).toBe("0.002");
  }, 20_000);
});
