/**
 * The live feed (GET /api/live/, server-sent events; apps/trading/live.py): marks and the desk's
 * intent, order and position events as they happen, fed into the TanStack Query cache. A
 * position event carries the row's mark, unrealized PnL and levels as the desk computed them
 * (set into the cached positions lists at once); an intent or order event, or a mark, makes the
 * answers it changes refetch (invalidated, at most once per LIVE_REFETCH_MS per resource). The
 * page computes no figure.
 *
 * Polling stays the fallback: while the feed is up the pushed resources poll every
 * LIVE_UP_POLL_MS (a missed event is healed within it), while it is down every POLL_MS as
 * before; the banner says which (LiveBadge).
 */
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";
import { KEYS } from "../api/keys";
import type { PositionPage } from "../api/types";

export const LIVE_URL = "/api/live/";
/** the pushed resources' poll while the feed is up (< the 45 s staleness limit) */
export const LIVE_UP_POLL_MS = 20_000;
/** at most one refetch of a resource per this many ms, however many events arrive */
export const LIVE_REFETCH_MS = 1000;
/** marks come every second per symbol: the PnL figures they move refetch at most this often */
export const MARK_REFETCH_MS = 3000;
/** after the server closed the feed for good (503: its feeds are taken; 401/403), try again */
export const LIVE_RETRY_MS = 10_000;

export type FeedState = "connecting" | "up" | "down";

export interface Feed {
  state: FeedState;
  /** ms epoch of the last state change */
  since: number;
  /** ms epoch of the last event (or keepalive-less hello) received, null before the first */
  lastEventAt: number | null;
}

let feed: Feed = { state: "connecting", since: Date.now(), lastEventAt: null };
const listeners = new Set<() => void>();

function feedSet(next: Partial<Feed>): void {
  const state = next.state ?? feed.state;
  feed = { ...feed, ...next, since: state !== feed.state ? Date.now() : feed.since };
  listeners.forEach((l) => l());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useFeed(): Feed {
  return useSyncExternalStore(subscribe, () => feed);
}

/** Whether the feed is up, re-rendering only when that changes (not on every event). */
export function useFeedUp(): boolean {
  return useSyncExternalStore(subscribe, () => feed.state === "up");
}

/** Resources the feed refreshes: their polls slow down while it is up. */
const PUSHED = [KEYS.positions, KEYS.intents, KEYS.orders, KEYS.rlDashboard];

export function isPushed(key: readonly unknown[]): boolean {
  return PUSHED.some((prefix) => prefix.every((part, i) => key[i] === part));
}

interface TradingEvent {
  kind: "intent" | "order" | "position";
  account: string;
  symbol: string;
  row: Record<string, unknown>;
}

type PositionRow = PositionPage["results"][number];

/** A position event into every cached positions list: the row of that account and symbol takes
 * the pushed fields. False when no cached list has the row (a new position: refetch). */
function positionApply(client: QueryClient, event: TradingEvent): boolean {
  let found = false;
  for (const [key, page] of client.getQueriesData<PositionPage>({ queryKey: KEYS.positions })) {
    if (!page?.results) continue;
    const results = page.results.map((row: PositionRow) => {
      if (row.account !== event.account || row.symbol !== event.symbol) return row;
      found = true;
      return { ...row, ...(event.row as Partial<PositionRow>) };
    });
    client.setQueryData(key, { ...page, results });
  }
  return found;
}

/** Opens the feed while mounted (once, in the signed-in layout) and feeds the cache. */
export function useLiveFeed(): void {
  const client = useQueryClient();
  useEffect(() => {
    if (typeof EventSource === "undefined") {
      feedSet({ state: "down" });
      return undefined;
    }
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const last = new Map<string, number>();
    const refetch = (key: readonly unknown[], every = LIVE_REFETCH_MS) => {
      const id = JSON.stringify(key);
      const now = Date.now();
      if (now - (last.get(id) ?? 0) < every) return;
      last.set(id, now);
      void client.invalidateQueries({ queryKey: key });
    };
    const seen = () => feedSet({ state: "up", lastEventAt: Date.now() });

    const open = () => {
      source = new EventSource(LIVE_URL, { withCredentials: true });
      source.addEventListener("hello", seen);
      source.addEventListener("mark", () => {
        seen();
        refetch(KEYS.rlDashboard, MARK_REFETCH_MS); // its unrealized PnL is at the latest marks
      });
      source.addEventListener("trading", (message) => {
        seen();
        const event = JSON.parse((message as MessageEvent<string>).data) as TradingEvent;
        if (event.kind === "position") {
          if (!positionApply(client, event)) refetch(KEYS.positions);
          refetch(KEYS.rlDashboard, MARK_REFETCH_MS);
        } else {
          refetch(event.kind === "intent" ? KEYS.intents : KEYS.orders);
          refetch([...KEYS.symbols, event.symbol]); // the chart's fills and levels
          if (event.kind === "order") refetch(KEYS.positions);
        }
      });
      source.onerror = () => {
        feedSet({ state: "down" });
        // CONNECTING: the browser retries by itself (the server's `retry:`); CLOSED: it gave up
        // (an answer that was not a feed: 503, 401/403): try again later ourselves.
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          retry = setTimeout(open, LIVE_RETRY_MS);
        }
      };
    };
    open();
    return () => {
      if (retry) clearTimeout(retry);
      source?.close();
      feedSet({ state: "connecting", lastEventAt: null });
    };
  }, [client]);
}
