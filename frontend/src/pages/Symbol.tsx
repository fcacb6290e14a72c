import { lazy, Suspense } from "react";
import { Link, useParams } from "react-router-dom";

const SymbolChartCard = lazy(() => import("../components/SymbolChartCard"));

/** /symbols/:symbol: the symbol's price chart with the position's levels and the desk's fills,
 * reached from every table that names the symbol. */
export function SymbolPage() {
  const symbol = (useParams().symbol ?? "").toUpperCase();
  return (
    <div className="page" data-page="symbol" data-symbol-page={symbol}>
      <div className="page-head">
        <h1>{symbol}</h1>
        <span className="muted small">
          <Link to="/positions">Positions</Link> · <Link to="/audit">Intents &amp; orders</Link>
        </span>
      </div>
      <Suspense fallback={<div className="boot">Loading chart…</div>}>
        <SymbolChartCard key={symbol} symbol={symbol} fills />
      </Suspense>
    </div>
  );
}
