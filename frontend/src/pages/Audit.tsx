import { apiGet } from "../api/client";
import { rowsOf, type ListAnswer } from "../api/types";
import { DataTable } from "../components/DataTable";
import { Card, EmptyState, ErrorState, NotAvailableState } from "../components/ui";
import { usePollFreshness } from "../hooks/pnl";
import { useNow, usePoll } from "../hooks/usePoll";

function AuditTrail({ title, endpoint, what }: { title: string; endpoint: string; what: string }) {
  const now = useNow();
  const poll = usePoll((signal) => apiGet<ListAnswer>(endpoint, { signal }), [endpoint]);
  const fresh = usePollFreshness(poll, now);
  const rows = rowsOf(poll.data);
  return (
    <Card title={title} fresh={poll.notAvailable ? undefined : fresh} testId={`audit-${title.toLowerCase()}`}>
      {poll.notAvailable && <NotAvailableState endpoint={endpoint} what={what} />}
      {poll.error && !poll.data && <ErrorState error={poll.error} />}
      {poll.data && rows.length === 0 && <EmptyState title={`No ${title.toLowerCase()} yet`} />}
      {rows.length > 0 && <DataTable rows={rows} />}
    </Card>
  );
}

export function AuditPage() {
  return (
    <div className="page" data-page="audit">
      <div className="page-head">
        <h1>Intents & orders</h1>
      </div>
      <AuditTrail title="Intents" endpoint="/api/trading/intents/" what="Every position intent and its outcome (the audit trail)" />
      <AuditTrail title="Orders" endpoint="/api/trading/orders/" what="Every order sent to the exchange, with its client order id" />
    </div>
  );
}
