import { QueryClient, useQuery, type Query } from "@tanstack/react-query";
import { useCallback, useEffect, useState } from "react";
import { apiGet, AuthRequired, NotAvailable } from "../api/client";
import { apiKey } from "../api/keys";
import { POLL_MS } from "../lib/staleness";
import { isPushed, LIVE_UP_POLL_MS, useFeedUp } from "./live";

/** What a card needs of one endpoint's answer (the shape the pages have always read). */
export interface PollState<T> {
  data: T | null;
  /** ms epoch of the last successful answer */
  fetchedAt: number | null;
  /** the last attempt failed; data (if any) is from before */
  error: Error | null;
  /** the endpoint answered 404: not available on this desk yet */
  notAvailable: boolean;
  loading: boolean;
  refresh: () => void;
}

/**
 * The dashboard's query client. Polling is the retry: a failed fetch is shown at once (the card
 * says "API unreachable", the banner goes red) and the next interval tries again, instead of
 * TanStack's three silent retries with backoff. Polls go on in a background tab, as a desk
 * screen on a second monitor must stay current; on focus a stale answer is refetched at once.
 */
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: false,
        refetchIntervalInBackground: true,
        refetchOnWindowFocus: true,
        gcTime: 5 * 60_000,
      },
    },
  });
}

export interface ApiOptions<T> {
  /** poll every this many ms (default 5 s), or per answer (a runs card polls faster while a run
   * is in progress) */
  intervalMs?: number | ((data: T | undefined) => number);
  /** statuses whose JSON body is a valid answer (the health endpoint's 503) */
  acceptStatuses?: number[];
}

/**
 * One endpoint, polled while a component shows it: the query key is the resource's (apiKey), so
 * every card showing it shares one cache entry and one fetch; an answer is only ever shown under
 * its own key (a filter's rows never sit under another filter's label: no placeholderData). A
 * cached answer counts as fresh for one interval (staleTime), so a page opened within it shows
 * it at once, with its age, instead of fetching again. `path` null: nothing fetched.
 */
export function useApi<T>(path: string | null, opts: ApiOptions<T> = {}): PollState<T> {
  const { intervalMs = POLL_MS, acceptStatuses } = opts;
  const queryKey = path === null ? ["none"] : apiKey(path);
  // A resource the live feed refreshes polls slowly while the feed is up: polling is its fallback.
  const slow = useFeedUp() && isPushed(queryKey);
  const every = (query: Query<T, Error, T, readonly unknown[]>) => {
    const ms = typeof intervalMs === "function" ? intervalMs(query.state.data) : intervalMs;
    return slow ? Math.max(ms, LIVE_UP_POLL_MS) : ms;
  };
  const query = useQuery<T, Error, T, readonly unknown[]>({
    queryKey,
    queryFn: ({ signal }) => apiGet<T>(path!, { signal, acceptStatuses }),
    enabled: path !== null,
    refetchInterval: every,
    staleTime: (query) => every(query),
  });
  const { refetch } = query;
  const refresh = useCallback(() => void refetch(), [refetch]);
  const error = query.error;
  // A 404 is an answer ("not available on this desk yet"), not a failure; a 401/403 is the auth
  // layer's (it routes to the login page), never shown on a card.
  const notAvailable = error instanceof NotAvailable;
  const shownError = notAvailable || error instanceof AuthRequired ? null : error;
  const data = notAvailable ? null : (query.data ?? null);
  return {
    data,
    fetchedAt: notAvailable ? query.errorUpdatedAt : query.dataUpdatedAt || null,
    error: shownError,
    notAvailable,
    loading: query.isPending && !error,
    refresh,
  };
}

/** The current time, re-rendered every second, so "updated 3 s ago" counts up between polls. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}
