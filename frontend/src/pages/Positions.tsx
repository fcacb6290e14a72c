import { lazy, Suspense, useState } from "react";
import type { TradingPosition, Window } from "../api/types";
import { PollCard, useList } from "../components/PollCard";
import { ColumnTable, byAccount, col, rawOf, type Column } from "../components/Table";
import { manyAccounts, useAccount, withAccount } from "../hooks/account";
import { Card, EmptyState, ErrorState, Money, NotAvailableState, Picker, WindowPicker, formatTime } from "../components/ui";
import { usePnlFreshness, useRlDashboard } from "../hooks/pnl";
import { useNow } from "../hooks/useApi";
import { formatPct, formatPrice, formatQty, signClass, signOf } from "../lib/money";
import { SymbolLink } from "../components/SymbolLink";

// The price chart (and its charting library) loads after the tables.
const SymbolChartCard = lazy(() => import("../components/SymbolChartCard"));

/** The symbols the chart can show: the desk's open positions first, then the PnL tracker's. */
export function chartSymbols(positions: TradingPosition[], tracked: Array<{ symbol: string }>): string[] {
  return [...new Set([...positions.map((p) => p.symbol), ...tracked.map((s) => s.symbol)])];
}

/** One symbol's chart at a time, picked among the page's symbols (the first open one at first). */
function PositionChart({ symbols, loading }: { symbols: string[]; loading: boolean }) {
  const [picked, setPicked] = useState<string | null>(null);
  const symbol = picked !== null && symbols.includes(picked) ? picked : symbols[0];
  if (!symbol && loading) return null;
  if (!symbol) {
    return (
      <Card title="Price chart" testId="positions-chart">
        <EmptyState title="No symbol to chart">No open position and no symbol tracked in this window.</EmptyState>
      </Card>
    );
  }
  return (
    <div data-testid="positions-chart">
      {symbols.length > 1 && (
        <Picker options={symbols} value={symbol} onChange={setPicked} label="Chart symbol" className="chart-picker" />
      )}
      <Suspense fallback={<div className="boot">Loading chart…</div>}>
        <SymbolChartCard symbol={symbol} />
      </Suspense>
    </div>
  );
}

/** A symbol of the PnL tracker with an open position (its side is LONG or SHORT; a symbol with
 * only realized PnL in the window is flat, not an open position). */
export function isOpen(s: { side: string; position_size: string }): boolean {
  return Boolean(s.side) && signOf(s.position_size) !== 0;
}

/** LONG / SHORT from the signed amount's digits (no float). */
export function sideOf(amount: string): string {
  const s = signOf(amount);
  return s > 0 ? "LONG" : s < 0 ? "SHORT" : "flat";
}

const POSITION_COLUMNS: Column<TradingPosition>[] = [
  col.symbol(),
  { key: "side", label: "Side", render: (r) => sideOf(r.amount), cls: (r) => `side side-${sideOf(r.amount).toLowerCase()}` },
  col.qty("amount", "Amount"),
  col.price("entry_price", "Entry"),
  col.price("mark_price", "Mark"),
  col.pnl("unrealized_pnl", "Unrealized"),
  { key: "leverage", label: "Lev.", render: (r) => `${r.leverage}×` },
  col.price("take_profit", "Take profit"),
  col.price("stop_loss", "Stop loss"),
  {
    // the trailing stop and, under it, its trailing %: one column, so the table fits its card
    key: "trailing",
    label: "Trail stop (trailing %)",
    render: (r) => (
      <span className="stack">
        <span data-cell="trailing_stop" data-raw={rawOf(r.trailing_stop)}>{formatPrice(r.trailing_stop)}</span>
        <span data-cell="trailing_pct" data-raw={rawOf(r.trailing_pct)} className="muted">
          {r.trailing_pct === null ? "" : `${formatPrice(r.trailing_pct)} %`}
        </span>
      </span>
    ),
  },
  col.price("backstop_price", "Backstop"),
  col.price("best_price", "Best price"),
  col.text("entries", "Entries"),
  col.time("opened_at", "Opened"),
  col.time("updated_at", "Reconciled"),
  col.text("account", "Account", true),
];


export function PositionsPage() {
  const [window, setWindow] = useState<Window>("24h");
  const now = useNow();
  const rl = useRlDashboard(window);
  const fresh = usePnlFreshness(rl, now);
  const exits = useList<TradingPosition>(withAccount("/api/trading/positions/", useAccount().account));
  const symbols = rl.data?.symbols ?? [];
  // all accounts aggregated: one row per account and symbol, so the rows say whose they are
  const byAccounts = manyAccounts(symbols);

  return (
    <div className="page" data-page="positions">
      <div className="page-head">
        <h1>Positions</h1>
        <WindowPicker value={window} onChange={setWindow} />
      </div>
      <PositionChart symbols={chartSymbols(exits.rows, symbols)} loading={exits.loading || rl.loading} />
      <Card title="Live marks and PnL per symbol" fresh={rl.notAvailable ? undefined : fresh} testId="positions-table">
        {rl.notAvailable && <NotAvailableState endpoint="/api/rl-dashboard/" what="Positions and their PnL" />}
        {rl.error && !rl.data && <ErrorState error={rl.error} />}
        {rl.data && symbols.length === 0 && (
          <EmptyState title="No positions">
            {rl.data.status === "no_data" ? rl.data.message || "The PnL tracker has no data yet." : "No open position and no realized PnL in this window."}
          </EmptyState>
        )}
        {symbols.length > 0 && (
          <div className="table-wrap">
            <table className="num">
              <thead>
                <tr>
                  <th>Symbol</th>
                  {byAccounts && <th>Account</th>}
                  <th>Side</th>
                  <th>Size</th>
                  <th>Entry</th>
                  <th>Mark</th>
                  <th>Lev.</th>
                  <th>Notional</th>
                  <th>Margin</th>
                  <th>Unrealized</th>
                  <th>ROE</th>
                  <th>Realized ({window})</th>
                  <th>Total</th>
                  <th>Trades</th>
                </tr>
              </thead>
              <tbody>
                {symbols.map((s) => {
                  // a flat symbol (realized PnL in the window, no position) has no entry, mark,
                  // leverage or margin: the API's zeros there are "none", not prices
                  const open = isOpen(s);
                  return (
                  <tr key={`${s.account_id}-${s.symbol}`} data-symbol={s.symbol} data-account={s.account} data-open={open ? "1" : "0"}>
                    <td className="sym"><SymbolLink symbol={s.symbol} /></td>
                    {byAccounts && <td data-cell="account">{s.account}</td>}
                    <td className={`side side-${(s.side || "flat").toLowerCase()}`}>{s.side || "flat"}</td>
                    <td data-cell="position_size">{open ? formatQty(s.position_size) : "—"}</td>
                    <td data-cell="entry_price">{open ? formatPrice(s.entry_price) : "—"}</td>
                    <td data-cell="mark_price">{open ? formatPrice(s.mark_price) : "—"}</td>
                    <td>{open && s.leverage ? `${s.leverage}×` : "—"}</td>
                    <td>{open ? <Money value={s.notional} sign={false} /> : "—"}</td>
                    <td>{open ? <Money value={s.initial_margin} sign={false} /> : "—"}</td>
                    <td data-cell="unrealized_pnl" data-raw={s.unrealized_pnl}>
                      <Money value={s.unrealized_pnl} />
                    </td>
                    <td className={open ? signClass(s.unrealized_pct) : undefined}>{open ? formatPct(s.unrealized_pct) : "—"}</td>
                    <td data-cell="realized_pnl" data-raw={s.realized_pnl}>
                      <Money value={s.realized_pnl} />
                    </td>
                    <td data-cell="total_pnl" data-raw={s.total_pnl}>
                      <Money value={s.total_pnl} />
                    </td>
                    <td>{s.realized_trades}</td>
                  </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {rl.data && (
          <div className="muted small">
            {symbols.length > 0 && !byAccounts && <>Account {symbols[0].account}. </>}as of {formatTime(rl.data.as_of)}
            {byAccounts && " (the oldest of the accounts' last polls)"}
          </div>
        )}
      </Card>
      <PollCard
        title="Open positions on the desk: marks, unrealized PnL, exits"
        endpoint="/api/trading/positions/"
        what="Each open position as last reconciled, with its take-profit, stop-loss and trailing levels"
        poll={exits}
        isEmpty={exits.rows.length === 0}
        empty={<EmptyState title="No open positions">The position monitor has reconciled no open position.</EmptyState>}
        testId="exits"
      >
        <ColumnTable
          rows={exits.rows}
          columns={byAccount(POSITION_COLUMNS, exits.rows)}
          rowKey={(r) => `${r.account}-${r.symbol}`}
          rowAttrs={(r) => ({ "data-position": r.symbol })}
        />
        <div className="muted small">
          {new Set(exits.rows.map((r) => r.account)).size === 1 && <>Account {exits.rows[0].account}. </>}
          TP / SL are price levels; the trailing stop follows the best price by the trailing %, and the exit brain
          closes reduce-only when a level is crossed.
        </div>
      </PollCard>
    </div>
  );
}
