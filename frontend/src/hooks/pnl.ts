import { apiGet } from "../api/client";
import type { DailyPnl, EquityPoint, RlDashboard, SymbolHistory, Window } from "../api/types";
import { freshness, withBlockers, type Freshness } from "../lib/staleness";
import { pnlBlockers, useHealth } from "./health";
import { usePoll, type PollState } from "./usePoll";

export function useRlDashboard(window: Window): PollState<RlDashboard> {
  return usePoll((signal) => apiGet<RlDashboard>(`/api/rl-dashboard/?window=${window}`, { signal }), [window]);
}

export function useDaily(days = 30): PollState<{ days: DailyPnl[] }> {
  return usePoll((signal) => apiGet<{ days: DailyPnl[] }>(`/api/pnl/daily/?days=${days}`, { signal }), [days]);
}

export function useEquity(window: Window): PollState<{ points: EquityPoint[] }> {
  return usePoll((signal) => apiGet<{ points: EquityPoint[] }>(`/api/pnl/equity/?window=${window}`, { signal }), [window]);
}

export function useHistory(symbol: string, window: Window): PollState<SymbolHistory> {
  return usePoll(
    (signal) => apiGet<SymbolHistory>(`/api/rl-dashboard/history/${encodeURIComponent(symbol)}/?window=${window}`, { signal }),
    [symbol, window],
  );
}

/** Freshness of PnL figures: the tracker's own age, the fetch, and the health of what feeds it. */
export function usePnlFreshness(poll: PollState<RlDashboard>, now: number): Freshness {
  const health = useHealth();
  const base = freshness({
    fetchedAt: poll.fetchedAt,
    failed: poll.error !== null,
    now,
    sourceAgeSeconds: poll.data?.poll_age_seconds ?? null,
    asOf: poll.data?.as_of ?? null,
    serverStale: poll.data?.status === "stale",
  });
  return withBlockers(base, pnlBlockers(health.data));
}

/** Freshness of a plain polled answer (age = time since the browser received it). */
export function usePollFreshness(poll: PollState<unknown>, now: number, blockers: string[] = []): Freshness {
  return withBlockers(freshness({ fetchedAt: poll.fetchedAt, failed: poll.error !== null, now }), blockers);
}
