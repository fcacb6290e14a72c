import { useState } from "react";
import { rowsOf, type EvolutionRunRow, type ListAnswer, type RegimeRow, type Row, type StrategyVersionRow } from "../api/types";
import { PollCard, useList } from "../components/PollCard";
import { ColumnTable, ProgressBar, col, compact, score, type Column } from "../components/Table";
import { Choice, formatTime } from "../components/ui";
import { ACTIVE_POLL_MS, StartRun, isActive } from "../components/StartRun";
import { useApi } from "../hooks/useApi";
import { POLL_MS } from "../lib/staleness";
import { SymbolLink } from "../components/SymbolLink";

/** 0..100 from a run's progress: `progress` is a percent on this desk's API (apps/strategy);
 * a fraction (0..1, not an integer) or generation/generations are read too. */
export function progressOf(run: Row): number | null {
  const num = (v: unknown) => (v === null || v === undefined || v === "" ? null : Number(v));
  const pct = num(run.progress_pct);
  if (pct !== null && Number.isFinite(pct)) return Math.max(0, Math.min(100, pct));
  const p = num(run.progress);
  if (p !== null && Number.isFinite(p)) return Math.max(0, Math.min(100, !Number.isInteger(p) && p < 1 ? p * 100 : p));
  const done = num(run.generation ?? run.done ?? run.completed);
  const total = num(run.generations ?? run.total);
  if (done !== null && total && Number.isFinite(done)) return Math.max(0, Math.min(100, (done / total) * 100));
  return null;
}

const VERSION_COLUMNS: Column<StrategyVersionRow>[] = [
  col.text("id", "#"),
  { ...col.text("family", "Family"), cls: () => "sym" },
  { key: "status", label: "Status", render: (r) => r.status, cls: (r) => (r.status === "active" ? "pos" : "") },
  { key: "search_score", label: "Search score", render: (r) => score(r.search_score) },
  { key: "holdout_score", label: "Hold-out score", render: (r) => score(r.holdout_score) },
  { key: "params", label: "Params", render: (r) => compact(r.params) },
  col.text("evolution_run", "Run"),
  {
    key: "events",
    label: "Last change",
    render: (r) => {
      const e = r.events?.[0];
      return e ? `${e.action} ${e.from_status}→${e.to_status}${e.actor ? ` by ${e.actor}` : ""}${e.reason ? `: ${e.reason}` : ""} (${formatTime(e.created_at)})` : "—";
    },
  },
  col.time("created_at", "Created"),
];

const REGIME_COLUMNS: Column<RegimeRow>[] = [
  col.symbol(),
  col.text("regime", "Regime"),
  col.time("as_of_ms", "As of (kline)"),
  { key: "stats", label: "Stats", render: (r) => compact(r.stats) },
];

function Runs({ runs }: { runs: EvolutionRunRow[] }) {
  return (
    <ul className="runs">
      {runs.map((r) => {
        const p = progressOf(r as unknown as Row);
        return (
          <li key={r.id} data-run={r.id} data-status={r.status}>
            <span>
              <span className="sym">#{r.id} {r.family}</span> · <SymbolLink symbol={r.symbol} /> · generation {r.generation}/{r.generations} ·
              population {r.population}
            </span>
            <span className={r.status === "error" ? "neg" : r.status === "running" ? "warn" : "muted"}>
              {r.status}
              {p !== null ? ` · ${Math.round(p)} %` : ""}
            </span>
            {p !== null && (r.status === "running" || r.status === "pending" || p < 100) && <ProgressBar pct={p} label={`run ${r.id} progress`} />}
            <span className="muted small">
              best search score {score(r.best_score)} · hold-out {score(r.holdout_score)} · {r.search_bars} search / {r.holdout_bars}{" "}
              hold-out bars · started {formatTime(r.created_at)}
              {r.finished_at ? ` · finished ${formatTime(r.finished_at)}` : ""}
              {r.best_params && Object.keys(r.best_params).length ? ` · best ${compact(r.best_params)}` : ""}
            </span>
            {r.error && <span className="neg small">{r.error}</span>}
          </li>
        );
      })}
    </ul>
  );
}

/** Families /api/strategy/runs/ accepts (apps/strategy/backtest.py FAMILIES; a 400 names them). */
export const FAMILIES = ["ma_cross", "mean_revert"] as const;

function StartEvolution({ symbols, onStarted }: { symbols: string[]; onStarted: () => void }) {
  const [family, setFamily] = useState<string>(FAMILIES[0]);
  // the first traded symbol the regimes card knows, until the user types one
  const [symbolInput, setSymbol] = useState<string | null>(null);
  const shownSymbol = symbolInput ?? symbols[0] ?? "";
  const symbol = shownSymbol.trim().toUpperCase();
  const [seed, setSeed] = useState("1");
  return (
    <StartRun
      label="Start evolution run"
      endpoint="/api/strategy/runs/"
      question={`Evolve ${family} on ${symbol || "(a symbol)"} with seed ${seed || 1} (parameter search scored by backtest)`}
      body={() => ({ family, symbol, seed: Number(seed) || 1 })}
      fields={
        <div className="filters">
          <Choice label="Family" value={family} options={FAMILIES} onChange={setFamily} />
          <label className="field">
            <span>Symbol (a traded one)</span>
            <input aria-label="Symbol" list="traded-symbols" placeholder="BTCUSDT" value={shownSymbol} onChange={(e) => setSymbol(e.target.value)} />
            <datalist id="traded-symbols">
              {symbols.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          </label>
          <label className="field">
            <span>Seed</span>
            <input aria-label="Seed" inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value.replace(/\D/g, ""))} />
          </label>
        </div>
      }
      onStarted={onStarted}
      testId="start-evolution"
    />
  );
}

/** While a run is pending or running the card polls every 2 s, so its progress bar moves. */
export function runsInterval(answer: ListAnswer | undefined): number {
  return rowsOf(answer).some((r) => isActive(r as { status: string })) ? ACTIVE_POLL_MS : POLL_MS;
}

export function StrategiesPage() {
  const runs = useList<EvolutionRunRow>("/api/strategy/runs/", runsInterval);
  const versions = useList<StrategyVersionRow>("/api/strategy/versions/");
  const regimes = useApi<{ latest: RegimeRow[] }>("/api/regimes/");
  const latest = regimes.data?.latest ?? [];
  const running = runs.rows.filter((r) => r.status === "running").length;
  return (
    <div className="page" data-page="strategies">
      <div className="page-head">
        <h1>Strategies & evolution runs</h1>
      </div>
      <PollCard
        title={running ? `Evolution runs · ${running} running` : "Evolution runs"}
        endpoint="/api/strategy/runs/"
        what="Strategy evolution runs (parameter search scored by backtest) and their progress"
        poll={runs}
        isEmpty={runs.rows.length === 0}
        empty="No evolution runs yet"
        testId="runs"
        footer={<StartEvolution symbols={latest.map((r) => r.symbol)} onStarted={runs.refresh} />}
      >
        <Runs runs={runs.rows} />
      </PollCard>
      <PollCard
        title="Strategy versions"
        endpoint="/api/strategy/versions/"
        what="Strategy versions (candidate, live, retired) with their scores and audit trail"
        poll={versions}
        isEmpty={versions.rows.length === 0}
        empty="No strategy versions yet"
        testId="versions"
      >
        <ColumnTable rows={versions.rows} columns={VERSION_COLUMNS} rowKey={(r) => String(r.id)} rowAttrs={(r) => ({ "data-version": String(r.id) })} className="audit" />
      </PollCard>
      <PollCard
        title="Market regime per symbol"
        endpoint="/api/regimes/"
        what="The latest market regime (trend / range / high volatility) of each symbol"
        poll={regimes}
        isEmpty={latest.length === 0}
        empty="No regime judged yet"
        testId="regimes"
      >
        <ColumnTable rows={latest} columns={REGIME_COLUMNS} rowKey={(r) => r.symbol} rowAttrs={(r) => ({ "data-regime": r.symbol })} className="audit" />
      </PollCard>
    </div>
  );
}
