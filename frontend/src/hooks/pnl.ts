import type { DailyPnl, EquityPoint, RlDashboard, SymbolHistory, Window } from "../api/types";
import { freshness, withBlockers, type Freshness } from "../lib/staleness";
import { useAccount, withAccount } from "./account";
import { pnlBlockers, useHealth } from "./health";
import { useApi, type PollState } from "./useApi";

export function useRlDashboard(window: Window): PollState<RlDashboard> {
  return useApi<RlDashboard>(withAccount(`/api/rl-dashboard/?window=${window}`, useAccount().account));
}

export function useDaily(days = 30): PollState<{ days: DailyPnl[] }> {
  return useApi<{ days: DailyPnl[] }>(withAccount(`/api/pnl/daily/?days=${days}`, useAccount().account));
}

export function useEquity(window: Window): PollState<{ points: EquityPoint[] }> {
  return useApi<{ points: EquityPoint[] }>(withAccount(`/api/pnl/equity/?window=${window}`, useAccount().account));
}

export function useHistory(symbol: string, window: Window): PollState<SymbolHistory> {
  const path = `/api/rl-dashboard/history/${encodeURIComponent(symbol)}/?window=${window}`;
  return useApi<SymbolHistory>(withAccount(path, useAccount().account));
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
