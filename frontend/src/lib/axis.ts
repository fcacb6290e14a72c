/**
 * Chart axes whose labels are whole and distinct: the ticks are chosen here (round steps of
 * 1, 2 or 5 × 10^k for values; round minutes, hours or days for times, in UTC like every time
 * the dashboard shows), each label carries exactly as many decimals as its step needs, and the
 * value axis is as wide as its longest label. recharts' own choice cut "10,000.27" to "0000.27",
 * wrote "0.00 / −0.00" for rewards of 0.0007 and −0.0015 and "11-27 15:42" four times over a
 * few minutes of equity. Charts only: the tables show the API's decimal strings.
 */
import { MINUS, groupThousands } from "./money";

/** px per character of a tick label at TICK_FONT_SIZE (digits, comma, minus), generous. */
const CHAR_PX = 7.6;
export const TICK_FONT_SIZE = 12;
/** recharts' tick line (6 px) and a gap before the label. */
const TICK_GAP_PX = 14;

export interface Axis {
  domain: [number, number];
  ticks: number[];
  format: (value: number) => string;
  /** the widest label, in characters */
  chars: number;
}

export interface ValueAxis extends Axis {
  /** px a vertical axis needs so that no label is cut */
  width: number;
}

function niceStep(raw: number): number {
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const m = raw / base;
  const nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10;
  return nice * base;
}

/** Decimals a step of 1, 2 or 5 × 10^k needs so that neighbouring labels differ. */
export function stepDecimals(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** "10,000.27", "−0.0015", "0" (never "−0"): a chart label with `decimals` places. */
export function formatTick(value: number, decimals: number): string {
  const text = Math.abs(value).toFixed(decimals);
  const zero = Number(text) === 0;
  const [int, frac] = text.split(".");
  return (value < 0 && !zero ? MINUS : "") + groupThousands(int) + (frac ? "." + frac : "");
}

/** A value axis over `values` with about `count` ticks on round steps. */
export function valueAxis(values: Array<number | null | undefined>, count = 6): ValueAxis {
  const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (hi === lo) {
    const pad = Math.abs(lo) * 0.05 || 1; // a flat line: ±5 % of its value
    lo -= pad;
    hi += pad;
  }
  const step = niceStep((hi - lo) / Math.max(count - 1, 1));
  const decimals = stepDecimals(step);
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i += 1) ticks.push(Number((i * step).toFixed(decimals)));
  const format = (v: number) => formatTick(v, decimals);
  const chars = Math.max(...ticks.map((t) => format(t).length));
  return {
    domain: [ticks[0], ticks[ticks.length - 1]],
    ticks,
    format,
    chars,
    width: Math.ceil(chars * CHAR_PX + TICK_GAP_PX),
  };
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const TIME_STEPS = [MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY, 365 * DAY];

/** A UTC time axis over `times` (ms) with at most `count` ticks on round minutes, hours or days:
 * "15:40" within one day, "11-27 15:40" across days, "11-27" for steps of days. */
export function timeAxis(times: Array<number | null | undefined>, count = 6): Axis {
  const finite = times.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : lo;
  const span = Math.max(hi - lo, 1);
  const step = TIME_STEPS.find((s) => Math.ceil(span / s) <= Math.max(count - 1, 1)) ?? TIME_STEPS[TIME_STEPS.length - 1];
  const start = Math.floor(lo / step) * step;
  let end = Math.ceil(hi / step) * step;
  if (end === start) end = start + step;
  const ticks: number[] = [];
  for (let t = start; t <= end; t += step) ticks.push(t);
  const iso = (t: number) => new Date(t).toISOString();
  const oneDay = iso(start).slice(0, 10) === iso(end - 1).slice(0, 10);
  const format = (t: number) => {
    const s = iso(t);
    if (step >= DAY) return s.slice(5, 10);
    return oneDay ? s.slice(11, 16) : `${s.slice(5, 10)} ${s.slice(11, 16)}`;
  };
  const chars = Math.max(...ticks.map((t) => format(t).length));
  return { domain: [start, end], ticks, format, chars };
}

/** Right margin a chart needs so that its last time label, centred on the edge, is whole. */
export function edgeMargin(axis: Axis): number {
  return Math.ceil((axis.chars * CHAR_PX) / 2) + 4;
}

/** recharts props of a time x-axis drawn with `axis`. */
export function timeAxisProps(axis: Axis) {
  return {
    type: "number" as const,
    scale: "time" as const,
    domain: axis.domain,
    ticks: axis.ticks,
    tickFormatter: axis.format,
    tick: { fontSize: TICK_FONT_SIZE },
    interval: "preserveStartEnd" as const,
  };
}

/** recharts props of a value y-axis drawn with `axis`. */
export function valueAxisProps(axis: ValueAxis) {
  return {
    type: "number" as const,
    domain: axis.domain,
    ticks: axis.ticks,
    tickFormatter: axis.format,
    width: axis.width,
    tick: { fontSize: TICK_FONT_SIZE },
  };
}
