import { useState } from "react";
import { Link } from "react-router-dom";
import { apiPost } from "../api/client";
import { DESK_MODES, type Desk, type DeskChangeAnswer, type Window } from "../api/types";
import { LedgerCheckCard } from "../components/LedgerCheckCard";
import { Card, EmptyState, ErrorState, Figure, Money, NotAvailableState, WindowPicker, formatTime } from "../components/ui";
import { pnlBlockers, useHealth } from "../hooks/health";
import { useDaily, usePnlFreshness, usePollFreshness, useRlDashboard } from "../hooks/pnl";
import { useApi, useNow } from "../hooks/useApi";
import { useAuth } from "../hooks/auth";
import { manyAccounts } from "../hooks/account";
import { formatBalance, formatPrice } from "../lib/money";
import { freshness } from "../lib/staleness";
import { isOpen } from "./Positions";
import { SymbolLink } from "../components/SymbolLink";

/** "Open positions · 1 open · 1 flat": a symbol with only realized PnL in the window is tracked
 * but flat, and is not counted as an open position. */
export function openTitle(symbols: Array<{ side: string; position_size: string }>): string {
  const open = symbols.filter(isOpen).length;
  const flat = symbols.length - open;
  return `Open positions · ${open} open${flat ? ` · ${flat} flat` : ""}`;
}

function todayUtc(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}

type DeskChange = { mode?: string; kill_switch?: boolean; flatten?: true };

function describeChange(desk: Desk, change: DeskChange): string {
  if (change.flatten) return "FLATTEN: close every open position now (reduce-only market intents)";
  if (change.mode !== undefined) return `Set the desk mode from ${desk.mode} to ${change.mode}`;
  return change.kill_switch ? "ENGAGE the kill switch (no new risk at all)" : "Release the kill switch";
}

/** What the desk answered to a flatten: the ids of the reduce-only intents it made. */
function FlattenResult({ ids }: { ids: number[] }) {
  return (
    <div className="muted small" role="status" data-flatten-result={ids.join(",")}>
      {ids.length === 0
        ? "Flatten sent: no open position to close (or a close already in flight)."
        : `Flatten sent: ${ids.length} reduce-only intent${ids.length === 1 ? "" : "s"} (${ids.map((i) => `#${i}`).join(", ")}); see Intents & orders.`}
    </div>
  );
}

/** Staff only (the API refuses others with 403): every change goes through a confirm step. */
export function DeskControls({ desk, onChanged }: { desk: Desk; onChanged: () => void }) {
  const [pending, setPending] = useState<DeskChange | null>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [flattened, setFlattened] = useState<number[] | null>(null);

  const ask = (change: DeskChange) => {
    setPending(change);
    setReason("");
    setError(null);
    setFlattened(null);
  };
  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    setError(null);
    try {
      // flatten keeps no reason (the API records it as "flatten"): nothing to ask for
      const body = pending.flatten ? { flatten: true } : { ...pending, reason: reason.trim() };
      const answer = await apiPost<DeskChangeAnswer>("/api/trading/desk/", body);
      if (pending.flatten) setFlattened(answer?.flatten_intents ?? []);
      setPending(null);
      onChanged();
    } catch (exc) {
      setError((exc as Error).message || "The desk refused the change");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="desk-controls">
      <div className="controls">
        {DESK_MODES.filter((m) => m !== desk.mode).map((m) => (
          <button key={m} type="button" className={m === "halt" ? "danger" : ""} disabled={busy} onClick={() => ask({ mode: m })}>
            Set {m}
          </button>
        ))}
        <button
          type="button"
          className={desk.kill_switch ? "" : "danger"}
          disabled={busy}
          onClick={() => ask({ kill_switch: !desk.kill_switch })}
        >
          {desk.kill_switch ? "Release kill switch" : "Engage kill switch"}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => ask({ flatten: true })}>
          Flatten all positions
        </button>
      </div>
      {pending && (
        <div className="confirm" role="dialog" aria-label="confirm desk change">
          <strong>{describeChange(desk, pending)}?</strong>
          {pending.flatten ? (
            <span className="muted small">
              The mode stays {desk.mode}: set halt as well to stay flat. Intents already in flight are left to finish.
            </span>
          ) : (
            <label className="field">
              <span>Reason (kept in the desk's audit trail)</span>
              <input aria-label="Reason" value={reason} maxLength={255} onChange={(e) => setReason(e.target.value)} />
            </label>
          )}
          <div className="controls">
            <button type="button" className="primary" disabled={busy} onClick={confirm}>
              {busy ? "Sending…" : "Confirm"}
            </button>
            <button type="button" disabled={busy} onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {flattened && <FlattenResult ids={flattened} />}
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

export function DeskCard() {
  const now = useNow();
  const { user } = useAuth();
  const desk = useApi<Desk>("/api/trading/desk/");
  const fresh = usePollFreshness(desk, now);
  if (desk.notAvailable) {
    return (
      <Card title="Desk mode & kill switch" testId="desk-card">
        <NotAvailableState endpoint="/api/trading/desk/" what="The desk mode (normal / defensive / halt) and the kill switch" />
      </Card>
    );
  }
  const d = desk.data;
  const p = d?.policy;
  return (
    <Card title="Desk mode & kill switch" fresh={fresh} testId="desk-card">
      {desk.error && !d && <ErrorState error={desk.error} />}
      {d && (
        <div className="figures">
          <div className="figure">
            <div className="figure-label">Mode</div>
            <div className={`figure-value ${d.mode === "normal" ? "pos" : "neg"}`} data-figure="desk_mode" data-raw={d.mode}>
              {d.mode}
            </div>
          </div>
          <div className="figure">
            <div className="figure-label">Kill switch</div>
            <div className={`figure-value ${d.kill_switch ? "neg" : "pos"}`} data-figure="kill_switch" data-raw={String(d.kill_switch)}>
              {d.kill_switch ? "ENGAGED" : "off"}
            </div>
          </div>
          <Figure name="desk_equity" label="Equity (risk's mark)" value={d.equity} kind="balance" />
          <Figure name="desk_equity_peak" label="Equity peak" value={d.equity_peak} kind="balance" />
        </div>
      )}
      {d && (d.reason || d.changed_at) ? (
        <div className="muted small" data-desk-reason>
          {d.reason ? d.reason : ""}
          {d.changed_at ? ` · changed ${formatTime(d.changed_at)}${d.changed_by ? ` by ${d.changed_by}` : ""}` : ""}
        </div>
      ) : null}
      {p && (
        <div className="muted small" data-desk-policy>
          Policy {p.tier}: max leverage {p.effective_max_leverage}×, {p.max_positions_total} positions, exposure{" "}
          {formatBalance(p.max_exposure_total)} ({formatBalance(p.max_exposure_per_symbol)} per symbol), daily loss{" "}
          {formatBalance(p.max_daily_loss)}, drawdown {formatPrice(p.max_drawdown_pct)} %
        </div>
      )}
      {d &&
        (user?.is_staff ? (
          <DeskControls desk={d} onChanged={desk.refresh} />
        ) : (
          <div className="muted small" data-desk-readonly>
            Read-only: changing the mode, the kill switch or flattening needs a staff user.
          </div>
        ))}
    </Card>
  );
}

export function OverviewPage() {
  const [window, setWindow] = useState<Window>("24h");
  const now = useNow();
  const rl = useRlDashboard(window);
  const daily = useDaily(30);
  const health = useHealth();
  const fresh = usePnlFreshness(rl, now);
  const dailyFresh = usePollFreshness(daily, now, pnlBlockers(health.data));
  const healthFresh = freshness({ fetchedAt: health.fetchedAt, failed: health.error !== null, now });

  const data = rl.data;
  const totals = data?.totals ?? null;
  const lastDay = daily.data?.days?.length ? daily.data.days[daily.data.days.length - 1] : null;
  const isToday = lastDay?.date === todayUtc(now);

  return (
    <div className="page" data-page="overview" data-ready={rl.fetchedAt !== null || rl.notAvailable ? "1" : "0"}>
      <div className="page-head">
        <h1>Overview</h1>
        <WindowPicker value={window} onChange={setWindow} />
      </div>

      {rl.notAvailable && (
        <Card title="PnL">
          <NotAvailableState endpoint="/api/rl-dashboard/" what="Equity and PnL" />
        </Card>
      )}
      {rl.error && !data && (
        <Card title="PnL" fresh={fresh}>
          <ErrorState error={rl.error} />
        </Card>
      )}
      {data && data.status === "no_data" && (
        <EmptyState title="No PnL data yet" kind="no-data">
          {data.message || "The PnL tracker has not recorded a poll of the exchange yet."}
        </EmptyState>
      )}
      {data && data.status === "stale" && (
        <div className="banner banner-warn" role="status" data-banner="pnl-stale">
          PnL tracker is behind: {data.message || "its last poll is old"}. Figures are not current.
        </div>
      )}

      <div className="grid">
        {totals && (
          <>
            <Card title="Account" fresh={fresh} testId="account-card">
              <div className="figures">
                <Figure name="equity" label="Equity" value={totals.equity} kind="balance" />
                <Figure name="wallet_balance" label="Wallet balance" value={totals.wallet_balance} kind="balance" />
                <Figure name="available_balance" label="Available" value={totals.available_balance} kind="balance" />
                <Figure name="initial_margin" label="Margin in use" value={totals.initial_margin} kind="balance" />
              </div>
              <div className="muted small">as of {formatTime(data?.as_of)}</div>
            </Card>
            <Card title={`PnL · ${window}`} fresh={fresh} testId="pnl-card">
              <div className="figures">
                <Figure name="total_pnl" label="Total PnL" value={totals.total_pnl} />
                <Figure name="realized_pnl" label="Realized" value={totals.realized_pnl} sub={`${totals.realized_trades} closed trades`} />
                <Figure name="unrealized_pnl" label="Unrealized" value={totals.unrealized_pnl} />
                <Figure name="net_pnl" label="Net (after fees & funding)" value={totals.net_pnl} />
              </div>
              <div className="muted small">window from {formatTime(data?.window_start)}</div>
            </Card>
            <Card title={`Fees & funding · ${window}`} fresh={fresh} testId="fees-card">
              <div className="figures">
                <Figure name="commission" label="Fees (commission)" value={totals.commission} />
                <Figure name="funding" label="Funding" value={totals.funding} />
              </div>
            </Card>
          </>
        )}

        <Card title={isToday || !lastDay ? "Today's PnL (UTC)" : "Last day's PnL"} fresh={daily.notAvailable ? undefined : dailyFresh} testId="today-card">
          {daily.notAvailable && <NotAvailableState endpoint="/api/pnl/daily/" what="Daily PnL" />}
          {daily.error && !daily.data && <ErrorState error={daily.error} />}
          {daily.data && !lastDay && <EmptyState title="No ledger days yet">No income has been recorded in the last 30 days.</EmptyState>}
          {lastDay && (
            <div className="figures">
              <Figure name="today_net_pnl" label={`Net · ${lastDay.date}`} value={lastDay.net_pnl} sub={`${lastDay.trades} trades`} />
              <Figure name="today_realized_pnl" label="Realized" value={lastDay.realized_pnl} />
              <Figure name="today_commission" label="Fees" value={lastDay.commission} />
              <Figure name="today_funding" label="Funding" value={lastDay.funding} />
            </div>
          )}
          {lastDay && !isToday && <div className="muted small">No ledger entry for today yet; last day with data is {lastDay.date}.</div>}
        </Card>

        <DeskCard />

        <LedgerCheckCard />

        <Card title="Health" fresh={healthFresh} testId="health-card">
          {health.data ? (
            <div>
              <div className={`health-status ${health.data.status === "ok" ? "pos" : "neg"}`} data-figure="health_status">
                {health.data.status === "ok" ? "All systems up" : `DOWN: ${health.data.down.join(", ")}`}
              </div>
              <Link to="/health">Details →</Link>
            </div>
          ) : health.error ? (
            <ErrorState error={health.error} />
          ) : (
            <div className="muted">checking…</div>
          )}
        </Card>

        {data && (
          <Card title={openTitle(data.symbols)} fresh={fresh} testId="positions-card" className="wide">
            {data.symbols.length === 0 ? (
              <EmptyState title="No symbols tracked">No open position and no realized PnL in this window.</EmptyState>
            ) : (
              <ul className="mini-list">
                {data.symbols.map((s) => (
                  <li key={`${s.account_id}-${s.symbol}`} data-symbol={s.symbol} data-account={s.account}>
                    <SymbolLink symbol={s.symbol} />
                    {manyAccounts(data.symbols) && <span className="muted" data-cell="account">{s.account}</span>}
                    <span className={`side side-${(s.side || "").toLowerCase()}`}>{s.side || "flat"}</span>
                    <span>
                      uPnL <Money value={s.unrealized_pnl} />
                    </span>
                    <span>
                      total <Money value={s.total_pnl} />
                    </span>
                  </li>
                ))}
              </ul>
            )}
            <Link to="/positions">All positions →</Link>
          </Card>
        )}
      </div>
    </div>
  );
}
