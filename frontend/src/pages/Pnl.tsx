import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Window } from "../api/types";
import { Card, EmptyState, ErrorState, Money, NotAvailableState, WindowPicker } from "../components/ui";
import { pnlBlockers, useHealth } from "../hooks/health";
import { useDaily, useEquity, usePollFreshness } from "../hooks/pnl";
import { useNow } from "../hooks/useApi";
import { edgeMargin, timeAxis, timeAxisProps, valueAxis, valueAxisProps } from "../lib/axis";
import { chartNumber } from "../lib/money";
import { toMs } from "../lib/staleness";

const tooltipStyle = { background: "#131a24", border: "1px solid #2a3546", color: "#e6edf3" };

export function PnlPage() {
  const [window, setWindow] = useState<Window>("7d");
  const now = useNow();
  const health = useHealth();
  const blockers = pnlBlockers(health.data);
  const equity = useEquity(window);
  const daily = useDaily(30);
  const equityFresh = usePollFreshness(equity, now, blockers);
  const dailyFresh = usePollFreshness(daily, now, blockers);

  // Number() only to place points on the chart; tables show the decimal strings.
  const eqPoints = (equity.data?.points ?? []).map((p) => ({
    t: toMs(p.time) ?? 0,
    equity: chartNumber(p.equity),
    wallet: chartNumber(p.wallet_balance),
  }));
  const days = daily.data?.days ?? [];
  const bars = days.map((d) => ({ date: d.date.slice(5), net: chartNumber(d.net_pnl) ?? 0 }));
  const eqX = timeAxis(eqPoints.map((p) => p.t));
  const eqY = valueAxis(eqPoints.flatMap((p) => [p.equity, p.wallet]));
  const barY = valueAxis([0, ...bars.map((b) => b.net)]);

  return (
    <div className="page" data-page="pnl">
      <div className="page-head">
        <h1>PnL history</h1>
        <WindowPicker value={window} onChange={setWindow} />
      </div>
      <Card title={`Equity curve · ${window}`} fresh={equity.notAvailable ? undefined : equityFresh} testId="equity-chart">
        {equity.notAvailable && <NotAvailableState endpoint="/api/pnl/equity/" what="The equity curve" />}
        {equity.error && !equity.data && <ErrorState error={equity.error} />}
        {equity.data && eqPoints.length === 0 && <EmptyState title="No equity snapshots in this window">The PnL tracker stores one per poll.</EmptyState>}
        {eqPoints.length > 0 && (
          <div className="chart">
            <ResponsiveContainer width="100%" height={280}>
              <LineChart data={eqPoints} margin={{ top: 8, right: edgeMargin(eqX), bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#223" strokeDasharray="3 3" />
                <XAxis dataKey="t" {...timeAxisProps(eqX)} stroke="#8b98a9" />
                <YAxis {...valueAxisProps(eqY)} stroke="#8b98a9" />
                <Tooltip contentStyle={tooltipStyle} labelFormatter={(v) => new Date(Number(v)).toISOString().replace("T", " ").slice(0, 19)} />
                <Legend />
                <Line type="monotone" dataKey="equity" name="Equity" stroke="#4cc9f0" dot={false} isAnimationActive={false} />
                <Line type="monotone" dataKey="wallet" name="Wallet balance" stroke="#8d99ae" dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </div>
        )}
      </Card>
      <Card title="Daily net PnL · last 30 days" fresh={daily.notAvailable ? undefined : dailyFresh} testId="daily-chart">
        {daily.notAvailable && <NotAvailableState endpoint="/api/pnl/daily/" what="Daily PnL" />}
        {daily.error && !daily.data && <ErrorState error={daily.error} />}
        {daily.data && days.length === 0 && <EmptyState title="No ledger days yet">No income recorded in the last 30 days.</EmptyState>}
        {days.length > 0 && (
          <>
            <div className="chart">
              <ResponsiveContainer width="100%" height={220}>
                <BarChart data={bars} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
                  <CartesianGrid stroke="#223" strokeDasharray="3 3" />
                  <XAxis dataKey="date" stroke="#8b98a9" />
                  <YAxis {...valueAxisProps(barY)} stroke="#8b98a9" />
                  <Tooltip contentStyle={tooltipStyle} />
                  <Bar dataKey="net" name="Net PnL" isAnimationActive={false}>
                    {bars.map((b) => (
                      <Cell key={b.date} fill={b.net >= 0 ? "#2ec27e" : "#e5484d"} />
                    ))}
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
            </div>
            <div className="table-wrap">
              <table className="num" data-testid="daily-table">
                <thead>
                  <tr>
                    <th>Date (UTC)</th>
                    <th>Realized</th>
                    <th>Fees</th>
                    <th>Funding</th>
                    <th>Net</th>
                    <th>Trades</th>
                  </tr>
                </thead>
                <tbody>
                  {[...days].reverse().map((d) => (
                    <tr key={d.date} data-date={d.date}>
                      <td>{d.date}</td>
                      <td><Money value={d.realized_pnl} /></td>
                      <td><Money value={d.commission} /></td>
                      <td><Money value={d.funding} /></td>
                      <td data-cell="net_pnl" data-raw={d.net_pnl}><Money value={d.net_pnl} /></td>
                      <td>{d.trades}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Card>
    </div>
  );
}
