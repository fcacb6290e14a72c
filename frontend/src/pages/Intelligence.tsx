/** The RL page's intelligence cards: the sizing agent, rewards per closed trade, model skill and
 * predictions (apps/rl, apps/models). Each explains a 404 and never shows made-up values. */
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type {
  Calibration,
  CalibrationEffect,
  EvolutionFold,
  EvolutionRunRow,
  IntelligenceNow,
  ModelsAnswer,
  ModelVersionRow,
  PredictionRow,
  RewardRow,
  RlAgent,
  TrainingFold,
  TrainingRunRow,
} from "../api/types";
import { PollCard, useList } from "../components/PollCard";
import { ColumnTable, ProgressBar, col, compact, score, type Column } from "../components/Table";
import { Choice, Figure, formatTime } from "../components/ui";
import { ACTIVE_POLL_MS, StartRun, isActive } from "../components/StartRun";
import { useApi } from "../hooks/useApi";
import { POLL_MS } from "../lib/staleness";
import { edgeMargin, timeAxis, timeAxisProps, valueAxis, valueAxisProps } from "../lib/axis";
import { SymbolLink } from "../components/SymbolLink";
import { runsInterval } from "./Strategies";

const COLORS = ["#f4a261", "#4cc9f0", "#2ec27e", "#c77dff", "#ff5c61", "#ffd166"];

export function AgentCard() {
  const agent = useApi<RlAgent>("/api/rl/agent/");
  const a = agent.data;
  const cal = a?.last_calibration ?? null;
  return (
    <PollCard
      title="Sizing agent & calibration"
      endpoint="/api/rl/agent/"
      what="The sizing agent's state and its last calibration"
      poll={agent}
      isEmpty={false}
      empty={null}
      testId="rl-agent"
    >
      {a && (
        <>
          <div className="figures">
            <Figure name="agent_epsilon" label="Exploration (ε)" value={a.epsilon} kind="count" />
            <Figure name="agent_risk_aversion" label="Risk aversion" value={a.risk_aversion} kind="count" />
            <Figure name="agent_reward_clip" label="Reward clip ±" value={a.reward_clip} kind="count" />
            <Figure name="agent_hard_cap" label="Hard cap per position" value={a.hard_cap} kind="balance" sub={a.hard_cap_source} />
            <Figure name="agent_decisions" label="Sizing decisions" value={a.decisions} kind="count" sub={`${a.rewards} rewards learned from`} />
            <Figure name="agent_version" label="Parameters version" value={a.version} kind="count" sub={`arms ${a.multipliers.join("× ")}×`} />
          </div>
          <h3>The agent's choices per context</h3>
          {a.contexts.length === 0 ? (
            <div className="muted" data-empty="no-contexts">No context has been learned yet (no reward recorded).</div>
          ) : (
            <div className="table-wrap">
              <table className="audit">
                <thead>
                  <tr>
                    <th>Context</th>
                    <th>Chosen multiplier</th>
                    <th>Arms (multiplier: trades, mean reward, value)</th>
                  </tr>
                </thead>
                <tbody>
                  {a.contexts.map((c) => (
                    <tr key={c.context} data-context={c.context}>
                      <td className="sym">{c.context}</td>
                      <td data-cell="best_multiplier" data-raw={c.best_multiplier}>
                        {c.best_multiplier}×
                      </td>
                      <td>
                        {c.arms.map((arm) => `${arm.multiplier}×: ${arm.n}, ${score(arm.mean)}, ${score(arm.value)}`).join(" · ")}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <h3>Last calibration</h3>
          {cal ? (
            <div data-calibration={cal.id}>
              <div className="muted small">
                #{cal.id} at {formatTime(cal.created_at)} from {cal.rewards_used} rewards
              </div>
              <CalibrationChanges changes={cal.changes} effects={cal.effects} />
            </div>
          ) : (
            <div className="muted small">The calibrator has not run yet.</div>
          )}
          {a.open_alerts.length > 0 && (
            <>
              <h3 className="neg">Open RL alerts</h3>
              <ul className="mini-list">
                {a.open_alerts.map((al, i) => (
                  <li key={i}>
                    <SymbolLink symbol={al.symbol} />
                    <span>{al.kind}</span>
                    <span>
                      {String(al.value)} (threshold {String(al.threshold)})
                    </span>
                    <span className="muted">{formatTime(al.created_at)}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </PollCard>
  );
}

/** A calibration parameter's value as stored (JSON): numbers and strings as they are. */
function valueText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

const FIGURE_LABELS: Record<CalibrationEffect["figure"], string> = {
  robust_sigma: "robust σ of rewards",
  mean_reward: "mean reward",
};

type FigureValue = CalibrationEffect["since"];

function figureText(f: FigureValue | null): string {
  if (!f || f.value === null) return `— (n ${f?.n ?? 0})`;
  return `${score(f.value)}${f.se === null ? "" : ` ± ${score(f.se)}`} (n ${f.n})`;
}

/** Whether the figure moved after the change, by the rule of docs/intelligence.md: a mean
 * reward that moved less than 2 combined standard errors is within noise; a robust sigma has no
 * standard error, so only its values are shown; no trade since: nothing to judge yet. */
export function effectVerdict(e: CalibrationEffect): "no trades yet" | "within noise" | "higher" | "lower" | null {
  const then = e.at_change;
  if (e.since.value === null || e.since.n === 0) return "no trades yet";
  if (!then || then.value === null) return null;
  if (e.figure === "mean_reward") {
    if (then.se === null || e.since.se === null) return null;
    const se = Math.sqrt(then.se ** 2 + e.since.se ** 2);
    if (Math.abs(e.since.value - then.value) <= 2 * se) return "within noise";
  }
  return e.since.value > then.value ? "higher" : e.since.value < then.value ? "lower" : "within noise";
}

/** What one calibration run changed: parameter, before → after, and why (`changes` is
 * parameter -> [before, after, why]; only the parameters that moved), with the figure each
 * change acted on and the same figure over the trades since (`effects`). Raw JSON in data-*. */
export function CalibrationChanges({ changes, effects }: { changes: Calibration["changes"] | null | undefined; effects?: CalibrationEffect[] }) {
  const entries = Object.entries(changes ?? {});
  if (entries.length === 0) return <div className="muted small" data-no-change>No parameter changed.</div>;
  const byParam = new Map((effects ?? []).map((e) => [e.parameter, e]));
  return (
    <ul className="mini-list changes">
      {entries.map(([param, v]) => {
        const [before, after, why] = Array.isArray(v) ? v : [undefined, v, ""];
        const effect = byParam.get(param);
        const verdict = effect ? effectVerdict(effect) : null;
        return (
          <li key={param} data-param={param} data-before={JSON.stringify(before ?? null)} data-after={JSON.stringify(after ?? null)} data-why={String(why ?? "")}>
            <span className="sym">{param}</span>
            <span data-cell="change">
              {valueText(before)} → {valueText(after)}
            </span>
            {why ? <span className="muted">{String(why)}</span> : null}
            {effect && (
              <span
                data-cell="effect"
                data-figure-name={effect.figure}
                data-then={JSON.stringify(effect.at_change)}
                data-since={JSON.stringify(effect.since)}
                data-verdict={verdict ?? ""}
              >
                {FIGURE_LABELS[effect.figure]}: {figureText(effect.at_change)} then → {figureText(effect.since)} since
                {effect.since_until_ms !== null ? " (to the next calibration)" : ""}
                {verdict ? ` · ${verdict}` : ""}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export const CALIBRATIONS_LIMIT = 20;

/** The calibrator's history, newest first: when, from how many rewards, what moved and why. */
export function CalibrationsCard() {
  const runs = useList<Calibration>(`/api/rl/calibrations/?limit=${CALIBRATIONS_LIMIT}`);
  const count = (runs.data as { count?: number } | null)?.count;
  return (
    <PollCard
      title="Calibration history"
      endpoint="/api/rl/calibrations/"
      what="Every calibration of the sizing agent: the parameters before and after, why, and the figure each change acted on then and since"
      poll={runs}
      isEmpty={runs.rows.length === 0}
      empty="The calibrator has not run yet"
      testId="rl-calibrations"
      footer={
        typeof count === "number" ? (
          <div className="muted small" data-count={count}>
            {runs.rows.length} shown · {count} on record
          </div>
        ) : null
      }
    >
      <div className="table-wrap">
        <table className="audit timeline">
          <thead>
            <tr>
              <th>#</th>
              <th>When</th>
              <th>Rewards used</th>
              <th>What changed: before → after, why; its figure then → since</th>
            </tr>
          </thead>
          <tbody>
            {runs.rows.map((c) => (
              <tr key={c.id} data-calibration-run={c.id}>
                <td data-cell="id">{c.id}</td>
                <td data-cell="created_at" data-raw={c.created_at}>
                  {formatTime(c.created_at)}
                </td>
                <td data-cell="rewards_used" data-raw={String(c.rewards_used)}>
                  {c.rewards_used}
                </td>
                <td>
                  <CalibrationChanges changes={c.changes} effects={c.effects} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </PollCard>
  );
}

/** One series per symbol: reward of each closed trade over time. */
export function rewardSeries(rows: RewardRow[]): { symbols: string[]; points: Record<string, number>[] } {
  const symbols = [...new Set(rows.map((r) => r.symbol))].sort();
  const points = [...rows]
    .sort((x, y) => x.time_ms - y.time_ms)
    .map((r) => ({ t: r.time_ms, [r.symbol]: Number(r.reward) }));
  return { symbols, points };
}

const REWARD_COLUMNS: Column<RewardRow>[] = [
  col.time("time_ms", "Closed"),
  col.symbol(),
  col.pnl("net_pnl", "Net PnL"),
  col.balance("risk_unit", "Risk unit"),
  { key: "reward", label: "Reward", render: (r) => score(r.reward), cls: (r) => (r.reward > 0 ? "pos" : r.reward < 0 ? "neg" : "") },
  { key: "multiplier", label: "Size ×", render: (r) => (r.multiplier === null ? "—" : `${r.multiplier}×`) },
  col.text("context", "Context"),
];

export function RewardsCard() {
  const rewards = useList<RewardRow>("/api/rl/rewards/");
  const { symbols, points } = rewardSeries(rewards.rows);
  const x = timeAxis(points.map((p) => p.t));
  const y = valueAxis(rewards.rows.map((r) => Number(r.reward)));
  return (
    <PollCard
      title="Rewards per closed trade (RL feedback)"
      endpoint="/api/rl/rewards/"
      what="The reward of every closed trade, per symbol over time"
      poll={rewards}
      isEmpty={rewards.rows.length === 0}
      empty="No rewards recorded yet"
      testId="rl-rewards"
    >
      <div className="chart">
        <ResponsiveContainer width="100%" height={200}>
          <LineChart data={points} margin={{ top: 8, right: edgeMargin(x), bottom: 0, left: 0 }}>
            <CartesianGrid stroke="#223" strokeDasharray="3 3" />
            <XAxis dataKey="t" {...timeAxisProps(x)} stroke="#8b98a9" />
            <YAxis {...valueAxisProps(y)} stroke="#8b98a9" />
            <Tooltip contentStyle={{ background: "#131a24", border: "1px solid #2a3546" }}
              labelFormatter={(v) => new Date(Number(v)).toISOString().replace("T", " ").slice(0, 19)} />
            <Legend />
            {symbols.map((s, i) => (
              <Line key={s} dataKey={s} name={s} stroke={COLORS[i % COLORS.length]} connectNulls dot isAnimationActive={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
      <div className="muted small">reward = net PnL of the trade / risk unit (initial margin of a 1.0× position), clipped</div>
      <ColumnTable rows={rewards.rows.slice(0, 50)} columns={REWARD_COLUMNS} rowKey={(r) => String(r.id)} rowAttrs={(r) => ({ "data-reward": String(r.id) })} />
    </PollCard>
  );
}

const BASELINE_LABELS: Record<string, string> = {
  always_up: "always up",
  always_down: "always down",
  coin_flip: "coin flip",
  base_rate: "base rate",
};

/** A log loss as stored: null is the unbounded loss of a certain forecast that is ever wrong. */
const lossText = (v: number | null | undefined) => (v === null ? "∞" : score(v));

/** The hold-out figures beside the base rates they must beat (apps/models/evaluation.py), one
 * line each: the model with its accuracy interval, then every base rate. Versions trained
 * before base rates were stored show their raw metrics, nothing inferred. */
export function holdoutLines(m: ModelVersionRow["metrics"]): string[] {
  if (!m.baselines || !m.accuracy_ci || !m.best_base) return [compact(m)];
  const [lo, hi] = m.accuracy_ci;
  const pct = Math.round((m.ci_level ?? 0.95) * 100);
  const best = BASELINE_LABELS[m.best_base.name] ?? m.best_base.name;
  const lines = [
    `model: accuracy ${score(m.accuracy)} (${pct} % CI ${score(lo)}–${score(hi)}, n ${m.n}, effective ${m.n_effective}) vs best base ${score(m.best_base.accuracy)} (${best})`,
    `model: log loss ${lossText(m.log_loss)}, Brier ${score(m.brier)}, Brier skill ${score(m.brier_skill)}`,
  ];
  for (const [name, b] of Object.entries(m.baselines)) {
    const p = b.p_up === undefined ? "" : ` (P(up) ${score(b.p_up)})`;
    lines.push(`${BASELINE_LABELS[name] ?? name}${p}: accuracy ${score(b.accuracy)}, log loss ${lossText(b.log_loss)}, Brier ${score(b.brier)}`);
  }
  return lines;
}

function HoldoutCell({ metrics }: { metrics: ModelVersionRow["metrics"] }) {
  return (
    <ul className="mini-list small">
      {holdoutLines(metrics).map((line) => (
        <li key={line}>{line}</li>
      ))}
    </ul>
  );
}

/** The verdict, and whether its probabilities (not only its side) beat the better baseline. */
function verdictText(r: ModelVersionRow): string {
  if (r.verdict === "not evaluated" || r.metrics.probability_skill === undefined) return r.verdict;
  return `${r.verdict}${r.metrics.probability_skill ? "" : " · no probability skill"}`;
}

const MODEL_COLUMNS: Column<ModelVersionRow>[] = [
  col.text("id", "#"),
  { ...col.text("kind", "Kind"), cls: () => "sym" },
  { key: "status", label: "Status", render: (r) => r.status, cls: (r) => (r.status === "live" ? "pos" : "muted") },
  { key: "weight", label: "Ensemble weight", render: (r) => score(r.weight, 3) },
  { key: "verdict", label: "Beats its base rates?", render: verdictText, cls: (r) => (r.verdict === "edge" ? "pos" : r.verdict === "no edge" ? "neg" : "muted") },
  { key: "metrics", label: "Hold-out skill vs base rates", render: (r) => <HoldoutCell metrics={r.metrics} />, wrap: true },
  { key: "live_metrics", label: "Live skill (supervisor)", render: (r) => compact(r.live_metrics) },
  col.time("created_at", "Trained"),
  col.time("status_changed_at", "Status changed"),
];

function TrainingRuns({ runs }: { runs: TrainingRunRow[] }) {
  if (!runs.length) return null;
  return (
    <>
      <h3>Training runs</h3>
      <ul className="runs">
        {runs.slice(0, 5).map((r) => (
          <li key={r.id} data-training={r.id}>
            <span>
              #{r.id} {r.kind} {r.stage ? `· ${r.stage}` : ""}
            </span>
            <span className={r.status === "error" ? "neg" : "muted"}>
              {r.status} · {r.progress} %
            </span>
            {(r.status === "running" || r.status === "pending") && <ProgressBar pct={r.progress} label={`training ${r.id} progress`} />}
            {r.error && <span className="neg small">{r.error}</span>}
          </li>
        ))}
      </ul>
    </>
  );
}

/** Kinds /api/models/train/ accepts (apps.models.models.ModelKind; the API names them on a 400). */
export const MODEL_KINDS = ["hgb", "logreg"] as const;

function StartTraining({ onStarted }: { onStarted: () => void }) {
  const [kind, setKind] = useState<string>(MODEL_KINDS[0]);
  return (
    <StartRun
      label="Start training"
      endpoint="/api/models/train/"
      question={`Train a new ${kind} model now (on the research queue; the new version supersedes the live ${kind})`}
      body={() => ({ kind })}
      fields={<Choice label="Model kind" value={kind} options={MODEL_KINDS} onChange={setKind} />}
      onStarted={onStarted}
      testId="start-training"
    />
  );
}

/** While a training run is pending or running the card polls every 2 s, so its bar moves. */
const MODELS_POLL = {
  intervalMs: (answer: ModelsAnswer | undefined) => ((answer?.training_runs ?? []).some(isActive) ? ACTIVE_POLL_MS : POLL_MS),
};

export function ModelsCard() {
  const models = useApi<ModelsAnswer>("/api/models/", MODELS_POLL);
  const rows = models.data?.models ?? [];
  return (
    <PollCard
      title="Model skill"
      endpoint="/api/models/"
      what="Each signal model's hold-out and live skill, and its ensemble weight"
      poll={models}
      isEmpty={rows.length === 0 && !(models.data?.training_runs ?? []).length}
      empty="No model trained yet"
      testId="models"
      footer={<StartTraining onStarted={models.refresh} />}
    >
      {rows.length > 0 && <ColumnTable rows={rows} columns={MODEL_COLUMNS} rowKey={(r) => String(r.id)} rowAttrs={(r) => ({ "data-model": String(r.id) })} className="audit" />}
      <TrainingRuns runs={models.data?.training_runs ?? []} />
    </PollCard>
  );
}

const PREDICTION_COLUMNS: Column<PredictionRow>[] = [
  col.time("as_of_ms", "As of"),
  col.symbol(),
  col.text("model_version", "Model"),
  { key: "horizon", label: "Horizon", render: (r) => `${r.horizon} bars` },
  { key: "prob_up", label: "P(up)", render: (r) => score(r.prob_up, 3) },
  { key: "direction", label: "Favours", render: (r) => (r.direction > 0 ? "up" : "down"), cls: (r) => (r.direction > 0 ? "pos" : "neg") },
  col.price("price", "Price"),
  { key: "correct", label: "Correct", render: (r) => (r.correct === null ? "pending" : r.correct ? "yes" : "no"), cls: (r) => (r.correct === null ? "muted" : r.correct ? "pos" : "neg") },
  { key: "brier", label: "Brier", render: (r) => score(r.brier, 3) },
  col.pnl("pnl", "PnL if followed"),
];

export function PredictionsCard() {
  const preds = useList<PredictionRow>("/api/models/predictions/");
  const scored = preds.rows.filter((r) => r.correct !== null);
  const hits = scored.filter((r) => r.correct).length;
  return (
    <PollCard
      title={scored.length ? `Predictions · ${hits}/${scored.length} correct of the scored` : "Predictions"}
      endpoint="/api/models/predictions/"
      what="The models' latest predictions and how they turned out"
      poll={preds}
      isEmpty={preds.rows.length === 0}
      empty="No predictions yet"
      testId="predictions"
    >
      <ColumnTable rows={preds.rows.slice(0, 30)} columns={PREDICTION_COLUMNS} rowKey={(r) => String(r.id)} />
      <div className="muted small">newest 30 of {preds.rows.length} loaded</div>
    </PollCard>
  );
}

/** What the desk trades with right now per traded symbol, and why (the trading loop's own
 * choice: a strategy pick, the ensemble or the rule), with what stands behind it. */
export function NowCard() {
  const now = useApi<IntelligenceNow>("/api/intelligence/now/");
  const d = now.data;
  const bars = Object.values(d?.models.history_bars ?? {});
  const fewest = bars.length ? Math.min(...bars) : 0;
  return (
    <PollCard
      title="What the desk trades with now"
      endpoint="/api/intelligence/now/"
      what="What the desk trades with right now per symbol, and why"
      poll={now}
      isEmpty={(d?.symbols ?? []).length === 0}
      empty="No traded symbol is configured"
      testId="intelligence-now"
    >
      {d && (
        <>
          <div className="table-wrap">
            <table className="audit">
              <thead>
                <tr>
                  <th>Symbol</th>
                  <th>Trades with</th>
                  <th>Why</th>
                </tr>
              </thead>
              <tbody>
                {d.symbols.map((s) => (
                  <tr key={s.symbol} data-now-symbol={s.symbol}>
                    <td>
                      <SymbolLink symbol={s.symbol} />
                    </td>
                    <td data-cell="source" data-raw={s.source}>
                      {s.source}
                      {s.strategy_version !== null ? ` (version ${s.strategy_version})` : ""}
                    </td>
                    <td data-cell="why" className="wrap">
                      {s.why}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="figures">
            <Figure name="now_live_models" label="Live models" value={d.models.live.length} kind="count" sub={`weights: ${d.models.weights}`} />
            <Figure
              name="now_history"
              label="History for the first training"
              value={d.models.history_ready ? "ready" : `${fewest} of ${d.models.history_needed} bars`}
              kind="count"
            />
            <Figure name="now_active_strategies" label="Active strategies" value={d.strategies.active.length} kind="count" sub={`promotion: ${d.strategies.promotion}`} />
          </div>
          {d.models.live.length > 0 && (
            <ul className="mini-list small" data-now-models>
              {d.models.live.map((m) => (
                <li key={m.id} data-now-model={m.id}>
                  <span className="sym">
                    v{m.id} {m.kind}
                  </span>
                  <span>weight {score(m.weight, 3)}</span>
                  <span className={m.verdict === "edge" ? "pos" : m.verdict === "no edge" ? "neg" : "muted"}>{m.verdict ?? "not evaluated"}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </PollCard>
  );
}

const foldsOf = <T,>(folds: unknown): T[] => (Array.isArray(folds) ? (folds as T[]) : []);

/** A training run's folds so far: accuracy against the fold's best base rate. */
export function trainingFoldText(f: TrainingFold): string {
  return `fold ${f.fold}: accuracy ${score(f.accuracy)} vs ${score(f.best_base.accuracy)} (${f.best_base.name}) on ${f.n_test} bars${f.edge ? " · edge" : ""}`;
}

/** An evolution run's folds so far: the out-of-sample score of that fold's search. */
export function evolutionFoldText(f: EvolutionFold): string {
  const se = f.test_score_se === undefined ? "" : ` ± ${score(f.test_score_se, 1)}`;
  const inc = f.incumbent_score === undefined ? "" : `, incumbent ${score(f.incumbent_score, 1)}`;
  return `fold ${f.fold}: out-of-sample score ${score(f.test_score, 1)}${se} on ${f.test_bars} bars${inc}`;
}

function RunProgress({ id, label, stage, pct, folds }: { id: string; label: string; stage: string; pct: number; folds: string[] }) {
  return (
    <li data-research-run={id}>
      <span className="sym">{label}</span>
      <span data-cell="stage">{stage || "waiting for a worker"}</span>
      <span className="muted">{pct} %</span>
      <ProgressBar pct={pct} label={`in progress: ${id}`} />
      {folds.length > 0 && (
        <ul className="mini-list small" data-folds={folds.length}>
          {folds.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** Training and evolution runs while they run: the stage (fold k of n, generation g of G), the
 * bar, and each fold's figures as it ends. Polls every 2 s while one is pending or running. */
export function ResearchProgressCard() {
  const models = useApi<ModelsAnswer>("/api/models/", MODELS_POLL);
  const runs = useList<EvolutionRunRow>("/api/strategy/runs/", runsInterval);
  const training = (models.data?.training_runs ?? []).filter(isActive);
  const evolution = runs.rows.filter((r) => isActive({ status: r.status ?? "" }));
  const answered = models.data !== null || runs.data !== null;
  return (
    <PollCard
      title={`Research in progress${training.length + evolution.length ? ` · ${training.length + evolution.length} running` : ""}`}
      endpoint="/api/models/ and /api/strategy/runs/"
      what="Training and evolution runs in progress, per fold and generation"
      poll={models.data !== null ? models : runs}
      isEmpty={answered && training.length + evolution.length === 0}
      empty="No training or evolution is running"
      testId="research-progress"
    >
      <ul className="runs">
        {training.map((r) => (
          <RunProgress
            key={`t${r.id}`}
            id={`training ${r.id}`}
            label={`training #${r.id} ${r.kind}`}
            stage={r.stage}
            pct={r.progress}
            folds={foldsOf<TrainingFold>(r.folds).map(trainingFoldText)}
          />
        ))}
        {evolution.map((r) => (
          <RunProgress
            key={`e${r.id}`}
            id={`evolution ${r.id}`}
            label={`evolution #${r.id} ${r.family} ${r.symbol}`}
            stage={`${r.stage ?? ""}${r.best_score === null || r.best_score === undefined ? "" : ` · best so far ${score(r.best_score, 1)}`}`}
            pct={r.progress ?? 0}
            folds={foldsOf<EvolutionFold>(r.folds).map(evolutionFoldText)}
          />
        ))}
      </ul>
    </PollCard>
  );
}
