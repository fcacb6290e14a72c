import { Link } from "react-router-dom";

export function symbolPath(symbol: string): string {
  return `/symbols/${encodeURIComponent(symbol)}`;
}

/** A symbol, wherever a table or list names one: a link to its page (price chart, levels,
 * fills). */
export function SymbolLink({ symbol }: { symbol: string }) {
  return (
    <Link className="sym" to={symbolPath(symbol)} data-symbol-link={symbol}>
      {symbol}
    </Link>
  );
}
