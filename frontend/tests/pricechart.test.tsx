import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import * as lwc from "lightweight-charts";
import type { IChartApi, ISeriesMarkersPluginApi, Time } from "lightweight-charts";
import type { SymbolChart } from "../src/api/types";
import { PriceChart } from "../src/components/PriceChart";
import { HEALTH_OK, INTENTS, ORDERS, POSITIONS, fakeApi, json, rlDashboard } from "./fakeApi";
import { renderAt } from "./render";

// The real lightweight-charts draws the chart; its two entry points are watched (not replaced)
// so the test can read what the component handed it.
vi.mock("lightweight-charts", async (importOriginal) => {
  const real = await importOriginal<typeof import("lightweight-charts")>();
  return { ...real, createChart: vi.fn(real.createChart), createSeriesMarkers: vi.fn(real.createSeriesMarkers) };
});

// What jsdom lacks and the library needs: a 2D canvas context (jsdom's getContext answers null)
// and matchMedia (the library follows the device pixel ratio with it).
beforeAll(() => {
  const noop = () => undefined;
  HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement) {
    const state: Record<string | symbol, unknown> = {
      canvas: this,
      measureText: (text: string) => ({ width: text.length * 6, actualBoundingBoxAscent: 8, actualBoundingBoxDescent: 2 }),
      createLinearGradient: () => ({ addColorStop: noop }),
      getLineDash: () => [],
    };
    return new Proxy(state, {
      get: (t, k) => (k in t ? t[k] : noop),
      set: (t, k, v) => ((t[k] = v), true),
    });
  } as unknown as typeof HTMLCanvasElement.prototype.getContext;
  window.matchMedia ??= ((query: string) => ({
    matches: false, media: query, onchange: null,
    addListener: noop, removeListener: noop, addEventListener: noop, removeEventListener: noop, dispatchEvent: () => false,
  })) as unknown as typeof window.matchMedia;
});

const T0 = Date.UTC(2026, 0, 10, 12, 0); // ms
const candle = (minute: number, o: string, h: string, l: string, c: string) => ({
  time_ms: T0 + minute * 60_000, open: o, high: h, low: l, close: c, volume: "12.50000000",
});
const POSITION = {
  account: "paper-desk", amount: "0.0100000000", entry_price: "60100.00000000", mark_price: "60250.00000000",
  take_profit: "61001.50000000", stop_loss: "59499.00000000", trailing_stop: "59817.60000000", backstop_price: "58297.00000000",
};
const fill = (id: number, side: string, action: string, price: string, qty: string, time: string) => ({
  intent_id: id, account: "paper-desk", time, side, action, reason: "signal", price, qty,
});
const CHART: SymbolChart = {
  symbol: "BTCUSDT", interval: "1m", traded: true,
  candles: [
    candle(0, "60000.00000000", "60100.00000000", "59900.00000000", "60050.00000000"),
    candle(1, "60050.00000000", "60200.00000000", "60000.00000000", "60150.50000000"),
    candle(2, "60150.50000000", "60300.00000000", "60100.00000000", "60250.00000000"),
  ],
  positions: [POSITION],
  fills: [
    fill(7, "BUY", "OPEN", "60100.00000000", "0.0100000000", "2026-01-10T12:01:10Z"),
    // in the still-open minute after the last stored candle: drawn on the last one
    fill(9, "SELL", "REDUCE", "60260.25000000", "0.0050000000", "2026-01-10T12:03:20Z"),
  ],
};

const lastChart = () => vi.mocked(lwc.createChart).mock.results.at(-1)!.value as IChartApi;
const lastMarkers = () => vi.mocked(lwc.createSeriesMarkers).mock.results.at(-1)!.value as ISeriesMarkersPluginApi<Time>;
const seriesOf = (chart: IChartApi) => chart.panes()[0].getSeries()[0];
const lines = (chart: IChartApi) => seriesOf(chart).priceLines().map((l) => [l.options().title, l.options().price]);

beforeEach(() => {
  vi.unstubAllGlobals();
  vi.mocked(lwc.createChart).mockClear();
  vi.mocked(lwc.createSeriesMarkers).mockClear();
});

describe("PriceChart", () => {
  it("hands the library the candles, the position's levels as lines and the fills as markers, and follows new answers", () => {
    const { container, rerender, unmount } = render(<PriceChart chart={CHART} />);
    expect(lwc.createChart).toHaveBeenCalledTimes(1);
    const chart = lastChart();
    expect(seriesOf(chart).data()).toEqual([
      { time: T0 / 1000, open: 60000, high: 60100, low: 59900, close: 60050 },
      { time: T0 / 1000 + 60, open: 60050, high: 60200, low: 60000, close: 60150.5 },
      { time: T0 / 1000 + 120, open: 60150.5, high: 60300, low: 60100, close: 60250 },
    ]);
    expect(lines(chart)).toEqual([
      ["entry", 60100],
      ["take profit", 61001.5],
      ["stop loss", 59499],
      ["trailing stop", 59817.6],
      ["backstop", 58297],
    ]);
    expect(lastMarkers().markers().map((m) => [m.time, m.position, m.shape, m.price, m.text])).toEqual([
      [T0 / 1000 + 60, "atPriceBottom", "arrowUp", 60100, "OPEN 0.01"],
      [T0 / 1000 + 120, "atPriceTop", "arrowDown", 60260.25, "REDUCE 0.005"],
    ]);
    // the levels as text too (a canvas cannot be read)
    const legend = within(container.querySelector(".chart-legend") as HTMLElement);
    expect(legend.getByText(/trailing stop/).textContent).toContain("59,817.60");
    expect(container.querySelector('[data-level="backstop_price"]')!.getAttribute("data-raw")).toBe("58297.00000000");

    // the next poll: a new candle, the trailing stop moved up, the backstop withdrawn, no fills
    const next: SymbolChart = {
      ...CHART,
      candles: [...CHART.candles, candle(3, "60250.00000000", "60400.00000000", "60200.00000000", "60380.00000000")],
      positions: [{ ...POSITION, trailing_stop: "59900.00000000", backstop_price: null }],
      fills: [],
    };
    rerender(<PriceChart chart={next} />);
    expect(lwc.createChart).toHaveBeenCalledTimes(1); // the same chart, updated in place
    expect(seriesOf(chart).data()).toHaveLength(4);
    expect(lines(chart)).toEqual([
      ["entry", 60100],
      ["take profit", 61001.5],
      ["stop loss", 59499],
      ["trailing stop", 59900],
    ]);
    expect(lastMarkers().markers()).toEqual([]);

    // flat: no lines left
    rerender(<PriceChart chart={{ ...next, positions: [] }} />);
    expect(lines(chart)).toEqual([]);
    expect(screen.getByText("No open position: no levels.")).toBeTruthy();
    const remove = vi.spyOn(chart, "remove");
    unmount();
    expect(remove).toHaveBeenCalledTimes(1);
  });

  it("gives the price axis the decimals a small price needs", () => {
    const tiny = { ...CHART, positions: [], fills: [], candles: [candle(0, "0.00012300", "0.00012400", "0.00012200", "0.00012350")] };
    render(<PriceChart chart={tiny} />);
    expect(seriesOf(lastChart()).options().priceFormat).toMatchObject({ precision: 7, minMove: 1e-7 }) // 0.0001235;
  });
});

describe("symbol links", () => {
  const routes = {
    "/api/auth/me/": () => json({ username: "alice", is_staff: false }),
    "/api/health/": () => json(HEALTH_OK),
    "/api/rl-dashboard/": () => json(rlDashboard()),
    "/api/trading/positions/": () => json({ count: 1, results: POSITIONS }),
    "/api/trading/intents/": () => json({ count: 2, results: INTENTS }),
    "/api/trading/orders/": () => json({ count: 2, results: ORDERS }),
    "/api/trading/symbols/ETHUSDT/chart/": () => json({ ...CHART, symbol: "ETHUSDT", positions: [], fills: [] }),
    "/api/trading/symbols/BTCUSDT/chart/": () => json(CHART),
  };
  const hrefs = (el: Element) => [...el.querySelectorAll("a[data-symbol-link]")].map((a) => a.getAttribute("href"));

  it("every symbol in the positions and audit tables links to its page, which draws its chart", async () => {
    fakeApi(routes);
    const audit = renderAt("/audit");
    await waitFor(() => expect(audit.container.querySelectorAll('[data-testid="audit-orders"] tbody tr').length).toBe(2));
    expect(hrefs(screen.getByTestId("audit-intents"))).toEqual(["/symbols/ETHUSDT", "/symbols/BTCUSDT"]);
    expect(hrefs(screen.getByTestId("audit-orders"))).toEqual(["/symbols/BTCUSDT", "/symbols/BTCUSDT"]);
    audit.unmount();

    const { container } = renderAt("/positions");
    await waitFor(() => expect(container.querySelector('tr[data-position="ETHUSDT"]')).not.toBeNull());
    expect(hrefs(screen.getByTestId("positions-table"))).toEqual(["/symbols/BTCUSDT"]);
    expect(hrefs(screen.getByTestId("exits"))).toEqual(["/symbols/ETHUSDT"]);
    // the positions page charts the open position's symbol first, the others a click away
    await waitFor(() => expect(container.querySelector('[data-chart-symbol="ETHUSDT"]')).not.toBeNull());
    fireEvent.click(within(screen.getByRole("group", { name: "Chart symbol" })).getByRole("button", { name: "BTCUSDT" }));
    await waitFor(() => expect(container.querySelector('[data-chart-symbol="BTCUSDT"]')).not.toBeNull());

    fireEvent.click(container.querySelector('tr[data-position="ETHUSDT"] a[data-symbol-link]')!);
    await waitFor(() => expect(screen.getByTestId("where").textContent).toBe("/symbols/ETHUSDT"));
    await waitFor(() => expect(container.querySelector('[data-symbol-page="ETHUSDT"] [data-chart-symbol="ETHUSDT"]')).not.toBeNull());
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("ETHUSDT");
  });

  it("the symbol page lists the desk's fills and polls the chart", async () => {
    const { calls } = fakeApi(routes);
    const { container } = renderAt("/symbols/btcusdt");
    await waitFor(() => expect(container.querySelectorAll("tr[data-fill]").length).toBe(2));
    const newest = container.querySelector('tr[data-fill="9"]')!;
    expect(newest.querySelector('[data-cell="price"]')!.textContent).toBe("60,260.25");
    expect(newest.querySelector('[data-cell="qty"]')!.textContent).toBe("0.005");
    await waitFor(() => expect(calls.filter((c) => c === "GET /api/trading/symbols/BTCUSDT/chart/").length).toBeGreaterThan(1), { timeout: 8000 });
  });
});
