import { useState } from "react";
import { apiGet } from "../api/client";
import { rowsOf, type ListAnswer, type Window } from "../api/types";
import { DataTable } from "../components/DataTable";
import { Card, EmptyState, ErrorState, Money, NotAvailableState, WindowPicker, formatTime } from "../components/ui";
import { usePnlFreshness, useRlDashboard } from "../hooks/pnl";
import { useNow, usePoll } from "../hooks/usePoll";
import { formatPct, formatPlain, formatPrice, signClass } from "../lib/money";

export function PositionsPage() {
  const [window, setWindow] = useState<Window>("24h");
  const now = useNow();
  const rl = useRlDashboard(window);
  const fresh = usePnlFreshness(rl, now);
  const exits = usePoll((signal) => apiGet<ListAnswer>("/api/trading/positions/", { signal }), []);
  const symbols = rl.data?.symbols ?? [];

  return (
    <div className="page" data-page="positions">
      <div className="page-head">
        <h1>Positions</h1>
        <WindowPicker value={window} onChange={setWindow} />
      </div>
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
                {symbols.map((s) => (
                  <tr key={s.symbol} data-symbol={s.symbol}>
                    <td className="sym">{s.symbol}</td>
                    <td className={`side side-${(s.side || "").toLowerCase()}`}>{s.side || "flat"}</td>
                    <td>{formatPlain(s.position_size)}</td>
                    <td>{formatPrice(s.entry_price)}</td>
                    <td>{formatPrice(s.mark_price)}</td>
                    <td>{s.leverage ? `${s.leverage}×` : "—"}</td>
                    <td>
                      <Money value={s.notional} sign={false} />
                    </td>
                    <td>
                      <Money value={s.initial_margin} sign={false} />
                    </td>
                    <td data-cell="unrealized_pnl" data-raw={s.unrealized_pnl}>
                      <Money value={s.unrealized_pnl} />
                    </td>
                    <td className={signClass(s.unrealized_pct)}>{formatPct(s.unrealized_pct)}</td>
                    <td data-cell="realized_pnl" data-raw={s.realized_pnl}>
                      <Money value={s.realized_pnl} />
                    </td>
                    <td data-cell="total_pnl" data-raw={s.total_pnl}>
                      <Money value={s.total_pnl} />
                    </td>
                    <td>{s.realized_trades}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {rl.data && <div className="muted small">as of {formatTime(rl.data.as_of)}</div>}
      </Card>
      <Card title="Exits: TP / SL / trailing" testId="exits">
        {exits.notAvailable && <NotAvailableState endpoint="/api/trading/positions/" what="Take-profit, stop-loss and trailing levels of each position" />}
        {exits.error && !exits.data && <ErrorState error={exits.error} />}
        {exits.data && rowsOf(exits.data).length === 0 && <EmptyState title="No open positions with exit levels" />}
        {exits.data && rowsOf(exits.data).length > 0 && <DataTable rows={rowsOf(exits.data)} />}
      </Card>
    </div>
  );
}
