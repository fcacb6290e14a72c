import type { ReactNode } from "react";
import type { PortRow } from "../api/types";
import { PollCard, useList } from "../components/PollCard";
import { ColumnTable, col, type Column } from "../components/Table";
import { Card, EmptyState, ErrorState, formatTime } from "../components/ui";
import { useHealth } from "../hooks/health";
import { useNow } from "../hooks/useApi";
import { freshness } from "../lib/staleness";

function Row({ name, ok, children }: { name: string; ok: boolean; children?: ReactNode }) {
  return (
    <tr data-component={name} data-ok={ok ? "1" : "0"}>
      <td className="sym">{name}</td>
      <td className={ok ? "pos" : "neg"}>{ok ? "up" : "DOWN"}</td>
      <td>{children}</td>
    </tr>
  );
}

const PORT_COLUMNS: Column<PortRow>[] = [
  { ...col.text("service", "Service"), cls: () => "sym" },
  col.text("port", "Port"),
  col.text("bind", "Bind"),
  {
    key: "exposure",
    label: "Exposure",
    render: (r) => r.exposure,
    cls: (r) => (r.exposure === "NETWORK" ? "warn" : ""),
  },
  {
    key: "listening",
    label: "Listening",
    render: (r) => (r.listening ? r.holder ?? "yes" : "free"),
  },
  { key: "ours", label: "Ours", render: (r) => (r.listening ? (r.ours ? "yes" : "NO") : "—"), cls: (r) => (r.listening && !r.ours ? "neg" : "") },
  { key: "conflict", label: "Conflict", render: (r) => r.conflict ?? "none", cls: (r) => (r.conflict ? "neg" : "") },
  col.text("what", "What"),
];

/** GET /api/ops/ports/: every service's port, bind address and who holds it now. */
export function PortMap() {
  const ports = useList<PortRow>("/api/ops/ports/");
  const conflicts = ports.rows.filter((r) => r.conflict).length;
  return (
    <PollCard
      title={ports.data ? `Port map · ${conflicts ? `${conflicts} conflict${conflicts > 1 ? "s" : ""}` : "no conflict"}` : "Port map"}
      endpoint="/api/ops/ports/"
      what="The port map (service, bind address, exposure, who listens)"
      poll={ports}
      isEmpty={ports.rows.length === 0}
      empty="No ports configured"
      testId="ports"
    >
      <ColumnTable
        rows={ports.rows}
        columns={PORT_COLUMNS}
        rowKey={(r) => r.service}
        rowAttrs={(r) => ({ "data-port": r.service, "data-conflict": r.conflict ? "1" : "0" })}
        className="ports"
      />
    </PollCard>
  );
}

export function HealthPage() {
  const now = useNow();
  const health = useHealth();
  const fresh = freshness({ fetchedAt: health.fetchedAt, failed: health.error !== null, now, maxAgeSeconds: 20 });
  const h = health.data;
  const c = h?.components;
  return (
    <div className="page" data-page="health">
      <div className="page-head">
        <h1>System health</h1>
      </div>
      <Card title={h ? (h.status === "ok" ? "All systems up" : `Down: ${h.down.join(", ")}`) : "Health"} fresh={fresh} testId="health">
        {health.error && !h && <ErrorState error={health.error} />}
        {!h && !health.error && <EmptyState title="Checking…" />}
        {c && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Part</th>
                  <th>State</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                <Row name="database" ok={c.database.ok}>
                  {c.database.vendor ?? ""} · {c.database.latency_ms} ms {c.database.error ?? ""}
                </Row>
                <Row name="redis" ok={c.redis.ok}>
                  {c.redis.latency_ms} ms {c.redis.error ?? ""}
                </Row>
                <Row name="beat" ok={c.beat.ok}>
                  {c.beat.last_tick ? `last tick ${formatTime(c.beat.last_tick)} (${c.beat.age_seconds} s ago)` : (c.beat.error ?? "never ticked")}
                </Row>
                <Row name="exchange" ok={c.exchange.ok}>
                  {c.exchange.url ?? ""} · {c.exchange.latency_ms} ms {c.exchange.error ?? ""}
                </Row>
                {Object.entries(c.queues).map(([q, info]) => (
                  <Row key={q} name={`queue:${q}`} ok={info.ok}>
                    {info.workers.length ? info.workers.join(", ") : info.error ?? "no worker consumes this queue"}
                  </Row>
                ))}
                {Object.entries(c.workers ?? {}).map(([w, info]) => (
                  <Row key={w} name={`worker:${w}`} ok={info.ok}>
                    {info.error ?? (info.queues ?? []).join(", ")}
                    {info.restarts && info.last_restart ? ` · restarted ${info.restarts}×, last ${formatTime(info.last_restart)}` : ""}
                  </Row>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {h && <div className="muted small">checked by the server at {formatTime(h.checked_at)}</div>}
      </Card>
      <PortMap />
    </div>
  );
}
