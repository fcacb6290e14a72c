import { useEffect, useMemo, useRef } from "react";
import {
  CandlestickSeries,
  ColorType,
  LineStyle,
  createChart,
  createSeriesMarkers,
  type CandlestickData,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type SeriesMarker,
  type Time,
  type UTCTimestamp,
} from "lightweight-charts";
import type { ChartCandle, ChartFill, ChartPosition, SymbolChart } from "../api/types";
import { chartNumber, formatPrice, formatQty, parseDecimal } from "../lib/money";
import { toMs } from "../lib/staleness";

/** The position's levels drawn as price lines, in this order; a null level draws nothing. */
export const LEVELS = [
  { key: "entry_price", title: "entry", color: "#8b98a9", style: LineStyle.Solid },
  { key: "take_profit", title: "take profit", color: "#2ec27e", style: LineStyle.Dashed },
  { key: "stop_loss", title: "stop loss", color: "#ff5c61", style: LineStyle.Dashed },
  { key: "trailing_stop", title: "trailing stop", color: "#f4a261", style: LineStyle.Dotted },
  { key: "backstop_price", title: "backstop", color: "#c77dff", style: LineStyle.LargeDashed },
] as const;

export interface Level {
  key: (typeof LEVELS)[number]["key"];
  title: string;
  /** the API's string */
  raw: string;
  price: number;
  color: string;
  style: LineStyle;
  account: string;
}

const seconds = (ms: number) => Math.floor(ms / 1000) as UTCTimestamp;

/** Candles for the library: its time is UTC seconds; prices are placed with Number(). */
export function candleData(candles: ChartCandle[]): CandlestickData<UTCTimestamp>[] {
  return candles.map((c) => ({
    time: seconds(c.time_ms),
    open: Number(c.open),
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
  }));
}

/** Each open position's levels; with positions of more than one account, titled by account. */
export function levelLines(positions: ChartPosition[]): Level[] {
  const byAccount = new Set(positions.map((p) => p.account)).size > 1;
  return positions.flatMap((p) =>
    LEVELS.flatMap((l) => {
      const raw = p[l.key];
      const price = chartNumber(raw);
      if (raw === null || price === null) return [];
      const title = byAccount ? `${l.title} (${p.account})` : l.title;
      return [{ key: l.key, title, raw, price, color: l.color, style: l.style, account: p.account }];
    }),
  );
}

/** A marker per fill at its price, on the candle it fell in (the latest whose open time is not
 * after the fill: a fill in the still-open minute sits on the last closed candle). Fills before
 * the first candle are not drawn. BUY an up arrow under the price, SELL a down arrow above. */
export function fillMarkers(fills: ChartFill[], candles: ChartCandle[]): SeriesMarker<Time>[] {
  const markers: SeriesMarker<Time>[] = [];
  for (const f of fills) {
    const at = toMs(f.time);
    const price = chartNumber(f.price);
    if (at === null || price === null) continue;
    let bar: ChartCandle | undefined;
    for (const c of candles) {
      if (c.time_ms > at) break;
      bar = c;
    }
    if (!bar) continue;
    const buy = f.side.toUpperCase() === "BUY";
    markers.push({
      id: String(f.intent_id),
      time: seconds(bar.time_ms),
      position: buy ? "atPriceBottom" : "atPriceTop",
      price,
      shape: buy ? "arrowUp" : "arrowDown",
      color: buy ? "#2ec27e" : "#ff5c61",
      text: `${f.action} ${formatQty(f.qty)}`,
    });
  }
  return markers.sort((a, b) => Number(a.time) - Number(b.time));
}

/** Decimals the price axis needs: the most any candle or level has (trailing zeros dropped),
 * between 2 and 8, so 0.000123 is not shown as 0.00. */
export function pricePrecision(candles: ChartCandle[], levels: Level[]): number {
  let places = 2;
  const values = [...candles.flatMap((c) => [c.open, c.high, c.low, c.close]), ...levels.map((l) => l.raw)];
  for (const v of values) {
    const d = parseDecimal(v);
    if (!d) continue;
    const zeros = d.digits.length - d.digits.replace(/0+$/, "").length;
    places = Math.max(places, d.scale - zeros);
  }
  return Math.min(places, 8);
}

interface Handles {
  chart: IChartApi;
  series: ISeriesApi<"Candlestick">;
  markers: ISeriesMarkersPluginApi<Time>;
  lines: IPriceLine[];
  fitted: boolean;
}

/**
 * A symbol's candles (TradingView's lightweight-charts) with the open position's entry, take
 * profit, stop loss, trailing stop and backstop as price lines and the desk's fills as markers.
 * The chart is made once per mount; each new answer replaces the data, the lines and the
 * markers in place, so a poll moves a trailing stop without redrawing the page. The levels are
 * also listed as text under the chart (the canvas is not readable).
 */
export function PriceChart({ chart, height = 320 }: { chart: SymbolChart; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const handles = useRef<Handles | null>(null);

  useEffect(() => {
    const el = box.current!;
    const api = createChart(el, {
      autoSize: true,
      height,
      layout: { background: { type: ColorType.Solid, color: "#131a24" }, textColor: "#8b98a9" },
      grid: { vertLines: { color: "#1e2836" }, horzLines: { color: "#1e2836" } },
      rightPriceScale: { borderColor: "#2a3546" },
      timeScale: { borderColor: "#2a3546", timeVisible: true, secondsVisible: false },
    });
    const series = api.addSeries(CandlestickSeries, {
      upColor: "#2ec27e",
      downColor: "#ff5c61",
      wickUpColor: "#2ec27e",
      wickDownColor: "#ff5c61",
      borderVisible: false,
    });
    handles.current = { chart: api, series, markers: createSeriesMarkers(series, []), lines: [], fitted: false };
    return () => {
      handles.current = null;
      api.remove();
    };
  }, [height]);

  const levels = useMemo(() => levelLines(chart.positions), [chart.positions]);
  useEffect(() => {
    const h = handles.current;
    if (!h) return;
    const precision = pricePrecision(chart.candles, levels);
    h.series.applyOptions({ priceFormat: { type: "price", precision, minMove: 10 ** -precision } });
    h.series.setData(candleData(chart.candles));
    for (const line of h.lines) h.series.removePriceLine(line);
    h.lines = levels.map((l) =>
      h.series.createPriceLine({ price: l.price, title: l.title, color: l.color, lineStyle: l.style, lineWidth: 1, axisLabelVisible: true }),
    );
    h.markers.setMarkers(fillMarkers(chart.fills, chart.candles));
    if (!h.fitted && chart.candles.length > 0) {
      h.chart.timeScale().fitContent();
      h.fitted = true;
    }
  }, [chart, levels, height]);

  return (
    <div className="price-chart" data-chart-symbol={chart.symbol} data-candles={chart.candles.length} data-fills={chart.fills.length}>
      <div ref={box} className="price-chart-canvas" style={{ height }} />
      {chart.candles.length === 0 && (
        <div className="muted small" data-chart-empty>
          No {chart.interval} klines stored for {chart.symbol} yet: the market poll stores them (docs/trading.md).
        </div>
      )}
      <ul className="chart-legend" aria-label={`${chart.symbol} levels`}>
        {levels.map((l) => (
          <li key={`${l.account}-${l.key}`} data-level={l.key} data-raw={l.raw}>
            <span className="swatch" style={{ borderColor: l.color }} /> {l.title} {formatPrice(l.raw)}
          </li>
        ))}
        {levels.length === 0 && <li className="muted">No open position: no levels.</li>}
        <li className="muted">
          {chart.fills.length} fill{chart.fills.length === 1 ? "" : "s"} marked ({chart.candles.length} × {chart.interval} candles)
        </li>
      </ul>
    </div>
  );
}
