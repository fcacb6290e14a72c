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

interface Answer<T> extends Omit<PollState<T>, "refresh" | "loading"> {
  /** the deps the answer is for: an answer is only ever shown for its own key */
  key: string;
}

const NO_ANSWER = { data: null, fetchedAt: null, error: null, notAvailable: false, loading: true };

/**
 * Fetch now and every `intervalMs` (default 5 s) while mounted. A failure keeps the last good
 * data but marks the state failed, so cards can say their numbers are not current.
 *
 * Each answer is stored with the deps it answered. Until the new key's first answer arrives the
 * state is "loading, no data": resetting in an effect instead would leave one committed render
 * in which the previous filter's rows sit under the new filter's label.
 */
export function usePoll<T>(
  fetcher: ((signal: AbortSignal) => Promise<T>) | null,
  deps: unknown[],
  intervalMs: number = POLL_MS,
): PollState<T> {
  const key = JSON.stringify(deps);
  const [answer, setAnswer] = useState<Answer<T> | null>(null);
  const [tick, setTick] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

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
        setAnswer({ key, data, fetchedAt: Date.now(), error: null, notAvailable: false });
      } catch (exc) {
        if (cancelled || (exc as Error)?.name === "AbortError") return;
        if (exc instanceof AuthRequired) return; // the auth layer redirects to login
        if (exc instanceof NotAvailable) {
          setAnswer({ key, data: null, fetchedAt: Date.now(), error: null, notAvailable: true });
        } else {
          setAnswer((prev) =>
            prev?.key === key
              ? { ...prev, error: exc as Error }
              : { key, data: null, fetchedAt: null, error: exc as Error, notAvailable: false },
          );
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
  }, [key, tick, intervalMs]);

  const refresh = useCallback(() => setTick((t) => t + 1), []);
  if (answer === null || answer.key !== key) return { ...NO_ANSWER, refresh };
  const { data, fetchedAt, error, notAvailable } = answer;
  return { data, fetchedAt, error, notAvailable, loading: false, refresh };
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
