import { beforeEach, describe, expect, it, vi } from "vitest";
import { waitFor } from "@testing-library/react";
import { HEALTH_OK, fakeApi, json, rlDashboard } from "./fakeApi";
import { renderAt } from "./render";
import { formatTick, timeAxis, valueAxis } from "../src/lib/axis";
import { MINUS } from "../src/lib/money";

beforeEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  // jsdom lays nothing out: give recharts' ResponsiveContainer a 640 px wide box to draw in
  const rect = HTMLElement.prototype.getBoundingClientRect;
  vi.spyOn(HTMLElement.prototype, "getBoundingClientRect").mockImplementation(function (this: HTMLElement) {
    if (this.classList.contains("recharts-responsive-container")) {
      const height = Number.parseInt(this.style.height, 10) || 200;
      return { x: 0, y: 0, top: 0, left: 0, width: 640, height, right: 640, bottom: height, toJSON: () => ({}) } as DOMRect;
    }
    return rect.call(this);
  });
});

const ME = () => json({ username: "alice", is_staff: false });
// 15 minutes after `make up`: a poll every 15 s, equity a few cents around 10,000
const T0 = Date.parse("2026-11-27T15:42:05Z");
const EQUITY = [9999.985, 10000.02, 10000.27, 10000.11, 9999.99, 10000.2].map((v, i) => ({
  time: new Date(T0 + i * 15_000).toISOString(),
  equity: v.toFixed(8),
  wallet_balance: "10000.00000000",
}));

/** The tick labels recharts drew on each axis of a card, in order. */
function ticks(card: Element, axis: "x" | "y"): string[] {
  return [...card.querySelectorAll(`.recharts-${axis}Axis-tick-labels .recharts-cartesian-axis-tick-value`)].map(
    (t) => t.textContent ?? "",
  );
}

describe("axis labels", () => {
  it("a value axis near 10,000 carries whole, distinct labels and is wide enough for them", () => {
    const y = valueAxis([9999.985, 10000.27]);
    const labels = y.ticks.map(y.format);
    expect(labels).toEqual(["9,999.9", "10,000.0", "10,000.1", "10,000.2", "10,000.3"]);
    expect(new Set(labels).size).toBe(labels.length);
    expect(y.domain[0]).toBeLessThanOrEqual(9999.985);
    expect(y.domain[1]).toBeGreaterThanOrEqual(10000.27);
    // 9 characters ("10,000.00") need more than the 70 px the axis had
    expect(y.width).toBeGreaterThanOrEqual(9 * 7);
  });

  it("rewards of 0.0007 and -0.0015 get enough decimals, and no minus zero", () => {
    const y = valueAxis([0.0007, -0.0015]);
    const labels = y.ticks.map(y.format);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels).toEqual([`${MINUS}0.0015`, `${MINUS}0.0010`, `${MINUS}0.0005`, "0.0000", "0.0005", "0.0010"]);
    expect(labels.every((l) => !/^[-−]0(\.0+)?$/.test(l))).toBe(true);
    expect(formatTick(-0.00001, 2)).toBe("0.00");
    expect(formatTick(-1234.5, 1)).toBe(`${MINUS}1,234.5`);
  });

  it("a few minutes of points give distinct time labels on round minutes", () => {
    const x = timeAxis(EQUITY.map((p) => Date.parse(p.time)));
    const labels = x.ticks.map(x.format);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels).toEqual(["15:42", "15:43", "15:44"]);
    const days = timeAxis([Date.parse("2026-11-26T22:00:00Z"), Date.parse("2026-11-27T03:00:00Z")]);
    expect(days.ticks.map(days.format)).toContain("11-27 00:00");
    const single = timeAxis([T0]);
    expect(single.ticks.length).toBeGreaterThanOrEqual(2);
  });
});

describe("charts draw those labels", () => {
  it("the equity curve: whole y labels near 10,000 and no repeated time", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/pnl/equity/": () => json({ points: EQUITY }),
      "/api/pnl/daily/": () => json({ days: [] }),
    });
    const { container } = renderAt("/pnl");
    await waitFor(() => expect(container.querySelector('[data-testid="equity-chart"] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value')).not.toBeNull(), { timeout: 15000 });
    const card = container.querySelector('[data-testid="equity-chart"]')!;
    const y = ticks(card, "y");
    expect(y).toContain("10,000.0");
    expect(y.every((l) => /^(9,999|10,000)\.\d$/.test(l))).toBe(true);
    expect(new Set(y).size).toBe(y.length);
    const x = ticks(card, "x");
    expect(x.length).toBeGreaterThanOrEqual(2);
    expect(new Set(x).size).toBe(x.length);
    // the axis is as wide as its longest label ("10,000.0", 8 characters of 12 px digits)
    const axisLine = card.querySelector(".recharts-yAxis .recharts-cartesian-axis-line")!;
    expect(Number(axisLine.getAttribute("x1"))).toBeGreaterThanOrEqual(8 * 7 + 8);
  }, 30_000);

  it("rewards per closed trade: 0.0007 and -0.0015 are told apart", async () => {
    const reward = (id: number, value: number, t: number) => ({
      id, trade: id, symbol: "BTCUSDT", time_ms: t, realized_pnl: "0", commission: "0", funding: "0", net_pnl: "0",
      risk_unit: "60.00000000", reward: value, context: "trend:high", multiplier: "1.00",
    });
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      "/api/rl/rewards/": () => json([reward(2, -0.0015, T0 + 60_000), reward(1, 0.0007, T0)]),
    });
    const { container } = renderAt("/rl");
    await waitFor(() => expect(container.querySelector('[data-testid="rl-rewards"] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value')).not.toBeNull(), { timeout: 15000 });
    const y = ticks(container.querySelector('[data-testid="rl-rewards"]')!, "y");
    expect(new Set(y).size).toBe(y.length);
    expect(y).not.toContain(`${MINUS}0.00`);
    expect(y).not.toContain("-0.00");
    expect(y).toContain(`${MINUS}0.0015`);
    expect(y).toContain("0.0005");
  }, 30_000);
});
