/**
 * How old is what a card shows, and may it be presented as current?
 *
 * A card's data is the answer of one endpoint polled every POLL_MS. Its age is the server-side
 * age of the figures (e.g. rl-dashboard's poll_age_seconds: how long ago the PnL tracker last
 * polled the exchange) plus the time since the browser received that answer.
 */

export const POLL_MS = 5000;

/** Figures older than this are "stale": three missed PnL-tracker polls (every 15 s). */
export const DEFAULT_MAX_AGE_SECONDS = 45;

export type FreshnessState = "loading" | "live" | "stale" | "offline" | "error";

export interface FreshnessInput {
  /** ms epoch of the last successful fetch, null when none yet */
  fetchedAt: number | null;
  /** the last attempt failed (network down, 5xx without body ...) */
  failed: boolean;
  /** ms epoch now */
  now: number;
  /** server-reported age of the data at fetch time, seconds (poll_age_seconds) */
  sourceAgeSeconds?: number | null;
  /** server-reported time the data refers to (as_of, ISO or ms epoch); used if no source age */
  asOf?: string | number | null;
  /** server says its data is stale (status: "stale") */
  serverStale?: boolean;
  maxAgeSeconds?: number;
}

export interface Freshness {
  state: FreshnessState;
  /** seconds, null when unknown */
  ageSeconds: number | null;
  /** whether the numbers may be shown as current */
  current: boolean;
  reason: string;
}

export function toMs(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export function dataAgeSeconds(input: FreshnessInput): number | null {
  const { fetchedAt, now, sourceAgeSeconds, asOf } = input;
  if (fetchedAt === null) return null;
  const sinceFetch = Math.max(0, (now - fetchedAt) / 1000);
  if (typeof sourceAgeSeconds === "number" && Number.isFinite(sourceAgeSeconds)) {
    return Math.max(0, sourceAgeSeconds) + sinceFetch;
  }
  const asOfMs = toMs(asOf ?? null);
  if (asOfMs !== null) return Math.max(0, (now - asOfMs) / 1000);
  return sinceFetch;
}

export function freshness(input: FreshnessInput): Freshness {
  const maxAge = input.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const age = dataAgeSeconds(input);
  if (input.fetchedAt === null) {
    if (input.failed) {
      return { state: "error", ageSeconds: null, current: false, reason: "API unreachable: no data" };
    }
    return { state: "loading", ageSeconds: null, current: false, reason: "loading" };
  }
  if (input.failed) {
    return {
      state: "offline",
      ageSeconds: age,
      current: false,
      reason: `API unreachable: showing data from ${formatAge(age)}, NOT current`,
    };
  }
  // The browser itself missed polls (tab asleep, slow API): the answer is old.
  const sinceFetch = (input.now - input.fetchedAt) / 1000;
  if (sinceFetch > Math.max(3 * (POLL_MS / 1000), maxAge)) {
    return {
      state: "stale",
      ageSeconds: age,
      current: false,
      reason: `no fresh answer for ${formatAge(sinceFetch)}`,
    };
  }
  if (input.serverStale) {
    return {
      state: "stale",
      ageSeconds: age,
      current: false,
      reason: `the desk reports its figures are stale (${formatAge(age)})`,
    };
  }
  if (age !== null && age > maxAge) {
    return {
      state: "stale",
      ageSeconds: age,
      current: false,
      reason: `figures are ${formatAge(age)} old (limit ${maxAge} s)`,
    };
  }
  return { state: "live", ageSeconds: age, current: true, reason: `updated ${formatAge(age)}` };
}

/** "just now", "12 s ago", "3 min ago", "2 h 5 min ago", "3 d ago". */
export function formatAge(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "an unknown time ago";
  const s = Math.floor(seconds);
  if (s < 1) return "just now";
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min ago` : `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/**
 * Figures that depend on parts the health check reports down (the exchange, beat, the pnl
 * queue's workers) are not being refreshed, whatever their age says: never present them as current.
 */
export function withBlockers(fresh: Freshness, blockers: string[]): Freshness {
  if (!blockers.length || fresh.state === "loading" || fresh.state === "error") return fresh;
  if (fresh.state === "offline") return fresh;
  return {
    state: "stale",
    ageSeconds: fresh.ageSeconds,
    current: false,
    reason: `not being refreshed: ${blockers.join(", ")} down (data ${formatAge(fresh.ageSeconds)})`,
  };
}
