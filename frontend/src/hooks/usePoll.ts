import { useCallback, useEffect, useRef, useState } from "react";
import { AuthRequired, NotAvailable } from "../api/client";
import { POLL_MS } from "../lib/staleness";

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
 * Fetch now and every `intervalMs` (default 5 s) while mounted. A failure keeps the last good
 * data but marks the state failed, so cards can say their numbers are not current.
 */
export function usePoll<T>(
  fetcher: ((signal: AbortSignal) => Promise<T>) | null,
  deps: unknown[],
  intervalMs: number = POLL_MS,
): PollState<T> {
  const [state, setState] = useState<Omit<PollState<T>, "refresh">>({
    data: null,
    fetchedAt: null,
    error: null,
    notAvailable: false,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    // a new key (window, symbol): forget the previous answer so it is never shown as this one
    setState({ data: null, fetchedAt: null, error: null, notAvailable: false, loading: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);

  useEffect(() => {
    if (!fetcherRef.current) return undefined;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;

    const run = async () => {
      controller = new AbortController();
      try {
        const data = await fetcherRef.current!(controller.signal);
        if (cancelled) return;
        setState({ data, fetchedAt: Date.now(), error: null, notAvailable: false, loading: false });
      } catch (exc) {
        if (cancelled || (exc as Error)?.name === "AbortError") return;
        if (exc instanceof AuthRequired) return; // the auth layer redirects to login
        if (exc instanceof NotAvailable) {
          setState({ data: null, fetchedAt: Date.now(), error: null, notAvailable: true, loading: false });
        } else {
          setState((prev) => ({ ...prev, error: exc as Error, loading: false }));
        }
      }
      if (!cancelled) timer = setTimeout(run, intervalMs);
    };
    run();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
      controller?.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, intervalMs]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, refresh };
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
