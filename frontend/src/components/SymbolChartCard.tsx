import type { ChartFill, SymbolChart } from "../api/types";
import { useApi } from "../hooks/useApi";
import { PollCard } from "./PollCard";
import { PriceChart } from "./PriceChart";
import { ColumnTable, byAccount, col, type Column } from "./Table";

/** The chart follows the market every few seconds (the klines close each minute, the trailing
 * stop moves with the mark). */
export const CHART_POLL_MS = 3000;
const CHART_POLL = { intervalMs: CHART_POLL_MS };

export function chartEndpoint(symbol: string): string {
  return `/api/trading/symbols/${encodeURIComponent(symbol)}/chart/`;
}

const FILL_COLUMNS: Column<ChartFill>[] = [
  col.time("time", "Time"),
  col.side("side", "Side"),
  col.text("action", "Action"),
  col.text("reason", "Reason", true),
  col.price("price", "Price"),
  col.qty("qty", "Qty"),
  col.text("intent_id", "Intent"),
  col.text("account", "Account", true),
];

/** One symbol's price chart (candles, the position's levels, the desk's fills), polled; with
 * `fills`, the fills as a table under it too. A module of its own so the charting library loads
 * only with the pages that draw it. */
export default function SymbolChartCard({ symbol, fills = false }: { symbol: string; fills?: boolean }) {
  const endpoint = chartEndpoint(symbol);
  const poll = useApi<SymbolChart>(endpoint, CHART_POLL);
  const chart = poll.data;
  return (
    <PollCard
      title={`${symbol} · price${chart ? ` · ${chart.interval} candles` : ""}`}
      endpoint={endpoint}
      what={`The chart of ${symbol}`}
      poll={poll}
      isEmpty={false}
      empty={null}
      testId={`chart-${symbol}`}
      className="wide"
    >
      {chart && <PriceChart chart={chart} />}
      {chart && fills && (
        <>
          <h3>Fills of the desk ({chart.fills.length})</h3>
          <ColumnTable
            rows={[...chart.fills].reverse()}
            columns={byAccount(FILL_COLUMNS, chart.fills)}
            rowKey={(f) => String(f.intent_id)}
            rowAttrs={(f) => ({ "data-fill": String(f.intent_id) })}
          />
        </>
      )}
    </PollCard>
  );
}
