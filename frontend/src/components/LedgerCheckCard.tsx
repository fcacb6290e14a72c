import type { Accounts, LedgerCheck, LedgerDifference } from "../api/types";
import { useAccount, withAccount } from "../hooks/account";
import { useApi, useNow } from "../hooks/useApi";
import { usePollFreshness } from "../hooks/pnl";
import { formatMoney, formatPrice, formatQty, signOf } from "../lib/money";
import { formatAge, toMs } from "../lib/staleness";
import { Card, ErrorState, NotAvailableState, formatTime } from "./ui";

const RECORD = { ledger: "ledger rows", rollup: "daily rollup", snapshot: "last snapshot" } as const;
const FIGURE = { count: "rows", sum: "sum", amount: "amount", entry: "entry" } as const;

/** "COMMISSION sum (ledger rows): −0.25000000 USDT here, −0.75000000 USDT on the exchange, off by
 * +0.50000000 USDT" (with `named`, after "desk-b: ", for a check of several accounts). Sums keep
 * all 8 places: a difference of a few 1e-8 is still a difference. */
export function describeDifference(d: LedgerDifference, named = false): string {
  const text = (v: string): string =>
    d.figure === "sum" ? formatMoney(v, { places: 8, sign: false }) : d.figure === "entry" ? formatPrice(v) : formatQty(v);
  const delta = d.figure === "sum" ? formatMoney(d.delta, { places: 8 }) : (signOf(d.delta) > 0 ? "+" : "") + text(d.delta);
  return `${named ? `${d.account}: ` : ""}${d.key} ${FIGURE[d.figure]} (${RECORD[d.record]}): ${text(d.ours)} here, ${text(d.exchange)} on the exchange, off by ${delta}`;
}

/** The headline: "Matches the exchange, checked 12 s ago", or which figures differ. The age counts
 * up between polls (the answer's age plus the time since it arrived). */
export function headline(check: LedgerCheck, ageSeconds: number | null): string {
  if (check.status === "never") return "Not checked against the exchange yet";
  const when = `checked ${formatAge(ageSeconds)}`;
  if (check.status === "match") return `Matches the exchange, ${when}`;
  const n = check.differences.length;
  return `Differs from the exchange on ${n} figure${n === 1 ? "" : "s"}, ${when}`;
}

/** Overview card: the desk's ledger and positions against the exchange's own records. */
export function LedgerCheckCard() {
  const now = useNow();
  const { account } = useAccount();
  const poll = useApi<LedgerCheck>(withAccount("/api/pnl/ledger-check/", account));
  // the same query as the picker's: all accounts of a desk of several name each difference's
  const accounts = useApi<Accounts>("/api/accounts/", { intervalMs: 60_000 });
  const named = account === null && (accounts.data?.accounts ?? []).filter((a) => a.is_active).length > 1;
  const fresh = usePollFreshness(poll, now);
  if (poll.notAvailable) {
    return (
      <Card title="Checked against the exchange" testId="ledger-check-card">
        <NotAvailableState endpoint="/api/pnl/ledger-check/" what="The check of the ledger against the exchange" />
      </Card>
    );
  }
  const c = poll.data;
  const age = c && c.age_seconds !== null && poll.fetchedAt !== null ? c.age_seconds + Math.max(0, (now - poll.fetchedAt) / 1000) : null;
  // A check older than two intervals: the beat entry or the pnl workers are not running it.
  const old = c && age !== null && age > 2 * c.interval_seconds + 60;
  const failedSince = c?.error && (c.checked_at === null || (toMs(c.error_at) ?? 0) > (toMs(c.checked_at) ?? 0));
  return (
    <Card title="Checked against the exchange" fresh={fresh} testId="ledger-check-card">
      {poll.error && !c && <ErrorState error={poll.error} />}
      {c && (
        <div data-ledger-check={c.status}>
          <div className={`health-status ${c.status === "match" ? "pos" : c.status === "differs" ? "neg" : "muted"}`} data-figure="ledger_check">
            {headline(c, age)}
          </div>
          {c.differences.length > 0 && (
            <ul className="mini-list" data-ledger-differences>
              {c.differences.map((d) => (
                <li key={`${d.account}-${d.kind}-${d.key}-${d.figure}-${d.record}`} data-difference={`${d.key}:${d.figure}:${d.record}`}>
                  {describeDifference(d, named)}
                </li>
              ))}
            </ul>
          )}
          {c.unsettled.length > 0 && (
            <div className="muted small" data-ledger-unsettled>
              {c.unsettled.join(", ")} traded since the compared snapshot: compared at the next check.
            </div>
          )}
          {c.status !== "never" && (
            <div className="muted small">
              Income per type from {formatTime(c.since)} to {formatTime(c.until)}, positions as of {formatTime(c.snapshot_time)}; every{" "}
              {Math.round(c.interval_seconds / 60)} min.
            </div>
          )}
          {old && (
            <div className="banner banner-warn" role="status" data-ledger-check-old>
              The last check is {formatAge(age)}: it should run every {c.interval_seconds} s.
            </div>
          )}
          {failedSince && (
            <div className="form-error" role="alert" data-ledger-check-error>
              The last check failed {formatAge(Math.max(0, (now - (toMs(c.error_at) ?? now)) / 1000))}: {c.error}
            </div>
          )}
        </div>
      )}
    </Card>
  );
}
