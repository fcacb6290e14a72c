import { useState } from "react";
import { INTENT_STATES, ORDER_STATUSES, SIDES, type Intent, type IntentPage, type Order, type OrderPage } from "../api/types";
import { PollCard } from "../components/PollCard";
import { useApi } from "../hooks/useApi";
import { ColumnTable, byAccount, col, rawOf, type Column } from "../components/Table";
import { useAccount } from "../hooks/account";
import { formatQty } from "../lib/money";
import { useDebounced } from "../hooks/useDebounced";
import { Choice } from "../components/ui";

export const LIMIT = 200;

const INTENT_COLUMNS: Column<Intent>[] = [
  col.text("id", "#"),
  col.time("created_at", "Created"),
  col.symbol(),
  col.text("account", "Account", true),
  col.side("side", "Side"),
  col.text("action", "Action"),
  {
    // the quantity asked and, under it, what was filled: one column, so the table fits its card
    key: "qty",
    label: "Qty / filled",
    render: (r) => (
      <span className="stack">
        <span data-cell="quantity" data-raw={rawOf(r.quantity)}>{formatQty(r.quantity)}</span>
        <span data-cell="executed_qty" data-raw={rawOf(r.executed_qty)} className="muted">{formatQty(r.executed_qty)}</span>
      </span>
    ),
  },
  { key: "leverage", label: "Lev.", render: (r) => `${r.leverage}×` },
  col.text("state", "State"),
  {
    key: "risk_verdict",
    label: "Risk",
    wrap: true,
    render: (r) => (r.risk_verdict ? `${r.risk_verdict}${r.risk_reason ? `: ${r.risk_reason}` : ""}` : "—"),
  },
  col.text("reason", "Reason", true),
  col.text("confidence", "Conf."),
  col.price("avg_price", "Avg price"),
  col.pnl("realized_pnl", "Realized"),
  col.text("client_order_id", "Client order id", true),
  {
    key: "error_message",
    label: "Error",
    wrap: true,
    render: (r) => (r.error_code !== null || r.error_message ? `${r.error_code ?? ""} ${r.error_message}`.trim() : "—"),
  },
  col.time("finished_at", "Finished"),
];

const ORDER_COLUMNS: Column<Order>[] = [
  col.text("order_id", "Order id"),
  col.time("update_time", "Updated"),
  col.symbol(),
  col.text("account", "Account", true),
  col.side("side", "Side"),
  col.text("type", "Type"),
  col.text("status", "Status"),
  col.qty("orig_qty", "Qty"),
  col.qty("executed_qty", "Filled"),
  col.price("avg_price", "Avg price"),
  col.bool("reduce_only", "Reduce only"),
  col.text("intent", "Intent"),
  col.text("client_order_id", "Client order id", true),
  { key: "external", label: "Placed by", render: (r) => (r.external ? "outside the desk" : "desk") },
];

/** The query string the trading API filters on: every filter is the server's (symbol, side,
 * intent state, order status); `count` is how many rows match, `limit` how many come back. */
export function auditQuery(params: Record<string, string>): string {
  const q = new URLSearchParams({ limit: String(LIMIT) });
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.toString();
}

/** "N shown · M match": N rows on the page (the newest, at most LIMIT), M the API's count. */
function Counts({ page, query }: { page: IntentPage | OrderPage | null; query: string }) {
  const shown = page?.results?.length ?? 0;
  if (!page || typeof page.count !== "number") return <div className="muted small">{shown} shown</div>;
  return (
    <div className="muted small" data-count={page.count} data-shown={shown} data-query={query}>
      {shown} shown · {page.count} match{page.count > shown ? ` (the newest ${shown})` : ""}
    </div>
  );
}

export function AuditPage() {
  const [symbolInput, setSymbolInput] = useState("");
  const [state, setState] = useState("");
  const [status, setStatus] = useState("");
  const [side, setSide] = useState("");
  const symbol = useDebounced(symbolInput.trim().toUpperCase());

  const { account } = useAccount();
  const chosen = account === null ? "" : String(account);
  const intentQuery = auditQuery({ symbol, side, state, account: chosen });
  const orderQuery = auditQuery({ symbol, side, status, account: chosen });
  const intents = useApi<IntentPage>(`/api/trading/intents/?${intentQuery}`);
  const orders = useApi<OrderPage>(`/api/trading/orders/?${orderQuery}`);
  const filtered = Boolean(symbol || state || status || side);

  return (
    <div className="page" data-page="audit">
      <div className="page-head">
        <h1>Intents & orders</h1>
      </div>
      <div className="filters" role="group" aria-label="filters">
        <label className="field">
          <span>Symbol</span>
          <input
            type="search"
            aria-label="Symbol"
            placeholder="BTCUSDT"
            value={symbolInput}
            onChange={(e) => setSymbolInput(e.target.value)}
          />
        </label>
        <Choice any label="Side" value={side} options={SIDES} onChange={setSide} />
        <Choice any label="Intent state" value={state} options={INTENT_STATES} onChange={setState} />
        <Choice any label="Order status" value={status} options={ORDER_STATUSES} onChange={setStatus} />
      </div>
      <PollCard
        title="Intents"
        endpoint="/api/trading/intents/"
        what="Every position intent and its outcome (the audit trail)"
        poll={intents}
        isEmpty={(intents.data?.results ?? []).length === 0}
        empty={filtered ? "No intents match these filters" : "No intents yet"}
        testId="audit-intents"
        footer={<Counts page={intents.data} query={intentQuery} />}
      >
        <ColumnTable
          rows={(intents.data?.results ?? [])}
          columns={byAccount(INTENT_COLUMNS, intents.data?.results ?? [])}
          rowKey={(r) => String(r.id)}
          rowAttrs={(r) => ({ "data-intent": String(r.id) })}
          className="num audit"
        />
      </PollCard>
      <PollCard
        title="Orders"
        endpoint="/api/trading/orders/"
        what="Every order sent to the exchange, with its client order id"
        poll={orders}
        isEmpty={(orders.data?.results ?? []).length === 0}
        empty={filtered ? "No orders match these filters" : "No orders yet"}
        testId="audit-orders"
        footer={<Counts page={orders.data} query={orderQuery} />}
      >
        <ColumnTable
          rows={(orders.data?.results ?? [])}
          columns={byAccount(ORDER_COLUMNS, orders.data?.results ?? [])}
          rowKey={(r) => `${r.account}-${r.order_id}`}
          rowAttrs={(r) => ({ "data-order": String(r.order_id) })}
          className="num audit"
        />
      </PollCard>
    </div>
  );
}
