import { useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { Window } from "../api/types";
import { AgentCard, CalibrationsCard, ModelsCard, NowCard, PredictionsCard, ResearchProgressCard, RewardsCard } from "./Intelligence";
import { Card, EmptyState, ErrorState, Figure, NotAvailableState, WindowPicker } from "../components/ui";
import { manyAccounts } from "../hooks/account";
import { pnlBlockers, useHealth } from "../hooks/health";
import { useHistory, usePnlFreshness, usePollFreshness, useRlDashboard } from "../hooks/pnl";
import { useNow } from "../hooks/useApi";
import { edgeMargin, timeAxis, timeAxisProps, valueAxis, valueAxisProps } from "../lib/axis";
import { chartNumber, formatPct, signClass } from "../lib/money";
import { toMs } from "../lib/staleness";
import { SymbolLink } from "../components/SymbolLink";

function RewardChart({ symbol, window }: { symbol: string; window: Window }) {
  const now = useNow();
  const history = useHistory(symbol, window);
  const health = useHealth();
  const fresh = usePollFreshness(history, now, pnlBlockers(health.data));
  const points = (history.data?.points ?? []).map((p) => ({ t: toMs(p.time) ?? 0, reward: chartNumber(p.reward) }));
  const x = timeAxis(points.map((p) => p.t));
  const y = valueAxis(points.map((p) => p.reward));
  return (
    <Card title={`${symbol} · reward`} fresh={fresh} testId={`reward-${symbol}`}>
      {history.notAvailable && <NotAvailableState endpoint={`/api/rl-dashboard/history/${symbol}/`} what="The reward history" />}
      {history.error && !history.data && <ErrorState error={history.error} />}
      {history.data && points.length === 0 && <EmptyState title="No reward history in this window" />}
      {points.length > 0 && (
        <div className="chart">
          <ResponsiveContainer width="100%" height={180}>
            <LineChart data={points} margin={{ top: 8, right: edgeMargin(x), bottom: 0, left: 0 }}>
              <CartesianGrid stroke="#223" strokeDasharray="3 3" />
              <XAxis dataKey="t" {...timeAxisProps(x)} stroke="#8b98a9" />
              <YAxis {...valueAxisProps(y)} stroke="#8b98a9" />
              <Tooltip contentStyle={{ background: "#131a24", border: "1px solid #2a3546" }}
                labelFormatter={(v) => new Date(Number(v)).toISOString().replace("T", " ").slice(0, 19)} />
              <Line type="monotone" dataKey="reward" name="reward %" stroke="#f4a261" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </Card>
  );
}

export function RlPage() {
  const [window, setWindow] = useState<Window>("24h");
  const now = useNow();
  const rl = useRlDashboard(window);
  const fresh = usePnlFreshness(rl, now);
  const data = rl.data;

  return (
    <div className="page" data-page="rl">
      <div className="page-head">
        <h1>RL</h1>
        <WindowPicker value={window} onChange={setWindow} />
      </div>
      <Card title="Rewards" fresh={rl.notAvailable ? undefined : fresh} testId="rewards">
        {rl.notAvailable && <NotAvailableState endpoint="/api/rl-dashboard/" what="Rewards per symbol" />}
        {rl.error && !data && <ErrorState error={rl.error} />}
        {data && data.symbols.length === 0 && <EmptyState title="No rewards yet">{data.message || "No symbol tracked in this window."}</EmptyState>}
        {data && data.symbols.length > 0 && (
          <>
            <div className="figures">
              <Figure name="best_performer" label="Best performer" value={data.best_performer ?? "—"} kind="count" />
              <Figure name="best_reward" label="Best reward" value={data.best_reward} kind="pct" />
              <Figure name="avg_reward" label="Average reward" value={data.avg_reward} kind="pct" />
            </div>
            <div className="muted small">reward = unrealized % (ROE) + realized % (of wallet at window start)</div>
            <ul className="mini-list">
              {data.symbols.map((s) => (
                <li key={`${s.account_id}-${s.symbol}`}>
                  <SymbolLink symbol={s.symbol} />
                  {manyAccounts(data.symbols) && <span className="muted">{s.account}</span>}
                  <span className={signClass(s.reward)}>reward {formatPct(s.reward)}</span>
                  <span className={signClass(s.unrealized_pct)}>u {formatPct(s.unrealized_pct)}</span>
                  <span className={signClass(s.realized_pct)}>r {formatPct(s.realized_pct)}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </Card>
      <div className="grid">
        {/* one chart per symbol: with all accounts, the history sums the accounts holding it */}
        {[...new Set(data?.symbols.map((s) => s.symbol))].map((symbol) => (
          <RewardChart key={symbol} symbol={symbol} window={window} />
        ))}
      </div>
      <NowCard />
      <ResearchProgressCard />
      <AgentCard />
      <CalibrationsCard />
      <RewardsCard />
      <ModelsCard />
      <PredictionsCard />
    </div>
  );
}
