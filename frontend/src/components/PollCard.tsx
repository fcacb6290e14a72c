import type { ReactNode } from "react";
import { rowsOf, type ListAnswer, type Row } from "../api/types";
import { usePollFreshness } from "../hooks/pnl";
import { useApi, useNow, type ApiOptions, type PollState } from "../hooks/useApi";
import { Card, EmptyState, ErrorState, NotAvailableState } from "./ui";

/** Poll a list endpoint (every 5 s unless told); rows from `{count, results}`, a bare list, or a
 * named key. */
export function useList<T = Row>(
  endpoint: string | null,
  intervalMs?: ApiOptions<ListAnswer>["intervalMs"],
): PollState<ListAnswer> & { rows: T[] } {
  const poll = useApi<ListAnswer>(endpoint, { intervalMs });
  return { ...poll, rows: rowsOf(poll.data) as T[] };
}

/** A card fed by one polled endpoint: its age, the explained 404 ("not available on this desk
 * yet"), the error, the empty answer, or the content. Nothing is ever made up. */
export function PollCard({
  title,
  endpoint,
  what,
  poll,
  empty,
  isEmpty,
  testId,
  className,
  children,
  blockers,
  footer,
}: {
  title: string;
  endpoint: string;
  what: string;
  poll: PollState<unknown>;
  empty: ReactNode;
  isEmpty: boolean;
  testId?: string;
  className?: string;
  children: ReactNode;
  blockers?: string[];
  /** shown under the content or the empty state whenever there is an answer */
  footer?: ReactNode;
}) {
  const now = useNow();
  const fresh = usePollFreshness(poll, now, blockers);
  return (
    <Card title={title} fresh={poll.notAvailable ? undefined : fresh} testId={testId} className={className}>
      {poll.notAvailable && <NotAvailableState endpoint={endpoint} what={what} />}
      {poll.error && !poll.data && <ErrorState error={poll.error} />}
      {poll.data !== null && isEmpty && (typeof empty === "string" ? <EmptyState title={empty} /> : empty)}
      {poll.data !== null && !isEmpty && children}
      {poll.data !== null && footer}
    </Card>
  );
}
