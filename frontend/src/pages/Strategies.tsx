import { apiGet } from "../api/client";
import { rowsOf, type ListAnswer, type Row } from "../api/types";
import { DataTable } from "../components/DataTable";
import { Card, EmptyState, ErrorState, NotAvailableState } from "../components/ui";
import { usePollFreshness } from "../hooks/pnl";
import { useNow, usePoll } from "../hooks/usePoll";

/** 0..100 from whatever progress a run reports (a fraction, a percent, or done/total). */
export function progressOf(run: Row): number | null {
  const num = (v: unknown) => (v === null || v === undefined || v === "" ? null : Number(v));
  const p = num(run.progress ?? run.progress_pct);
  if (p !== null && Number.isFinite(p)) return Math.max(0, Math.min(100, p <= 1 && run.progress_pct === undefined ? p * 100 : p));
  const done = num(run.generation ?? run.done ?? run.completed);
  const total = num(run.generations ?? run.total);
  if (done !== null && total && Number.isFinite(done)) return Math.max(0, Math.min(100, (done / total) * 100));
  return null;
}

export function StrategiesPage() {
  const now = useNow();
  const poll = usePoll((signal) => apiGet<ListAnswer>("/api/strategy/runs/", { signal }), []);
  const fresh = usePollFreshness(poll, now);
  const rows = rowsOf(poll.data);
  return (
    <div className="page" data-page="strategies">
      <div className="page-head">
        <h1>Strategies & evolution runs</h1>
      </div>
      <Card title="Evolution runs" fresh={poll.notAvailable ? undefined : fresh} testId="runs">
        {poll.notAvailable && (
          <NotAvailableState endpoint="/api/strategy/runs/" what="Strategy evolution runs (parameter search scored by backtest) and their progress" />
        )}
        {poll.error && !poll.data && <ErrorState error={poll.error} />}
        {poll.data && rows.length === 0 && <EmptyState title="No evolution runs yet" />}
        {rows.length > 0 && (
          <>
            <ul className="runs">
              {rows.map((r, i) => {
                const p = progressOf(r);
                return (
                  <li key={String(r.id ?? i)}>
                    <span>{String(r.name ?? r.strategy ?? r.id ?? `run ${i + 1}`)}</span>
                    <span className="muted">{String(r.status ?? "")}</span>
                    {p !== null && (
                      <div className="progress" role="progressbar" aria-valuenow={Math.round(p)} aria-valuemin={0} aria-valuemax={100}>
                        <div style={{ width: `${p}%` }} />
                      </div>
                    )}
                  </li>
                );
              })}
            </ul>
            <DataTable rows={rows} />
          </>
        )}
      </Card>
    </div>
  );
}
