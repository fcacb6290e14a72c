import { beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import { HEALTH_OK, fakeApi, json, rlDashboard } from "./fakeApi";
import { renderAt } from "./render";
import { MINUS } from "../src/lib/money";
import { progressOf } from "../src/pages/Strategies";
import { effectVerdict, rewardSeries } from "../src/pages/Intelligence";

const ME = () => json({ username: "alice", is_staff: false });

beforeEach(() => {
  vi.unstubAllGlobals();
});

const AGENT = {
  epsilon: 0.1, risk_aversion: 0.5, reward_clip: 1.0, multipliers: ["0.50", "1.00", "1.50"], version: 3,
  hard_cap: "1000.00000000", hard_cap_source: "risk policy max_exposure_per_symbol",
  contexts: [
    { context: "trend:high", best_multiplier: "1.50", arms: [
      { multiplier: "1.00", n: 4, mean: 0.02, std: 0.1, value: -0.03 },
      { multiplier: "1.50", n: 6, mean: 0.12, std: 0.05, value: 0.095 },
    ] },
  ],
  decisions: 42, rewards: 10,
  last_calibration: { id: 7, rewards_used: 10, before: {}, after: {}, changes: { epsilon: [0.2, 0.1, "rewards stable"] }, created_at: "2026-01-10T11:00:00Z" },
  open_alerts: [], stats: {},
};

const REWARDS = [
  { id: 2, trade: 12, symbol: "ETHUSDT", time_ms: 1768042800000, realized_pnl: "-5.00500000", commission: "-0.30000000", funding: "0E-8",
    net_pnl: "-5.30500000", risk_unit: "75.00000000", reward: -0.0707, context: "range:low", multiplier: "1.00" },
  { id: 1, trade: 11, symbol: "BTCUSDT", time_ms: 1768039200000, realized_pnl: "12.34000000", commission: "-0.61000000", funding: "0E-8",
    net_pnl: "11.73000000", risk_unit: "60.00000000", reward: 0.1955, context: "trend:high", multiplier: "1.50" },
];

describe("RL page on the intelligence API", () => {
  it("shows the agent's choices, its last calibration, rewards per trade and model skill", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      "/api/rl/agent/": () => json(AGENT),
      "/api/rl/rewards/": () => json(REWARDS),
      "/api/models/": () =>
        json({
          models: [{ id: 3, kind: "logit", status: "live", weight: 0.62, params: {}, metrics: { accuracy: 0.5612, brier: 0.2431 }, verdict: "not evaluated",
            live_metrics: { accuracy: 0.55, n: 120 }, artifact_sha256: "ab", created_at: "2026-01-10T08:00:00Z", status_changed_at: null }],
          training_runs: [{ id: 9, kind: "gbm", status: "running", progress: 40, stage: "fitting", model_version: null, error: "",
            created_at: "2026-01-10T11:50:00Z", started_at: "2026-01-10T11:50:01Z", finished_at: null }],
        }),
      "/api/models/predictions/": () => json([]),
    });
    const { container } = renderAt("/rl");
    await waitFor(() => expect(container.querySelector('[data-figure="agent_hard_cap"]')).not.toBeNull());
    expect(container.querySelector('[data-figure="agent_hard_cap"]')!.textContent).toBe("1,000.00 USDT");
    expect(container.querySelector('[data-figure="agent_decisions"]')!.textContent).toBe("42");
    expect(container.querySelector('tr[data-context="trend:high"] [data-cell="best_multiplier"]')!.textContent).toBe("1.50×");
    expect(container.querySelector('[data-calibration="7"]')!.textContent).toContain("0.2 → 0.1");
    await waitFor(() => expect(container.querySelector('tr[data-reward="2"]')).not.toBeNull());
    expect(container.querySelector('tr[data-reward="2"] [data-cell="net_pnl"]')!.textContent).toBe(`${MINUS}5.31 USDT`);
    expect(container.querySelector('tr[data-reward="1"] [data-cell="net_pnl"]')!.textContent).toBe("+11.73 USDT");
    expect(container.querySelector('tr[data-reward="1"] [data-cell="reward"]')!.textContent).toBe("0.1955");
    await waitFor(() => expect(container.querySelector('tr[data-model="3"]')).not.toBeNull());
    expect(container.querySelector('tr[data-model="3"] [data-cell="metrics"]')!.textContent).toBe("accuracy=0.5612, brier=0.2431");
    expect(screen.getByRole("progressbar", { name: "training 9 progress" }).getAttribute("aria-valuenow")).toBe("40");
    await screen.findByText("No predictions yet");
  });

  it("shows each model's hold-out figures beside its base rates, with the verdict", async () => {
    // As apps/models/evaluation.py stores them (tests/models/test_models_baselines.py's trap:
    // 0.567 where always-down scored 0.588), and a model whose interval clears its best base.
    const baselines = (up: number) => ({
      always_up: { accuracy: up, brier: 1 - up, log_loss: null },
      always_down: { accuracy: 1 - up, brier: up, log_loss: null },
      coin_flip: { accuracy: 0.5, brier: 0.25, log_loss: 0.69315 },
      base_rate: { p_up: 0.48, accuracy: Math.max(up, 1 - up), brier: 0.2434, log_loss: 0.68011 },
    });
    const trap = { n: 1000, n_effective: 200, accuracy: 0.567, accuracy_ci: [0.4977, 0.6338], ci_level: 0.95, brier: 0.2468,
      brier_skill: 0.0128, log_loss: 0.6868, base_rate_up: 0.412, baselines: baselines(0.412),
      best_base: { name: "always_down", accuracy: 0.588 }, edge: false, probability_skill: false, verdict: "no edge",
      log_loss_vs: { baseline: "base_rate", diff: 0.0067, ci: [-0.01, 0.02] } };
    const good = { ...trap, n: 4000, n_effective: 800, accuracy: 0.58, accuracy_ci: [0.5454, 0.6138], base_rate_up: 0.5,
      baselines: baselines(0.5), best_base: { name: "always_up", accuracy: 0.5 }, edge: true, probability_skill: true, verdict: "edge" };
    const row = (id: number, metrics: object, verdict: string) => ({ id, kind: "hgb", status: "live", weight: 0.01, params: {}, metrics, verdict,
      live_metrics: {}, artifact_sha256: "ab", created_at: "2026-01-10T08:00:00Z", status_changed_at: null });
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      "/api/models/": () => json({ models: [row(5, trap, "no edge"), row(6, good, "edge")], training_runs: [] }),
    });
    const { container } = renderAt("/rl");
    await waitFor(() => expect(container.querySelector('tr[data-model="5"]')).not.toBeNull());
    const verdict = container.querySelector('tr[data-model="5"] [data-cell="verdict"]')!;
    expect(verdict.textContent).toBe("no edge · no probability skill");
    expect(verdict.className).toBe("neg");
    const lines = [...container.querySelectorAll('tr[data-model="5"] [data-cell="metrics"] li')].map((li) => li.textContent);
    expect(lines).toEqual([
      "model: accuracy 0.5670 (95 % CI 0.4977–0.6338, n 1000, effective 200) vs best base 0.5880 (always down)",
      "model: log loss 0.6868, Brier 0.2468, Brier skill 0.0128",
      "always up: accuracy 0.4120, log loss ∞, Brier 0.5880",
      "always down: accuracy 0.5880, log loss ∞, Brier 0.4120",
      "coin flip: accuracy 0.5000, log loss 0.6932, Brier 0.2500",
      "base rate (P(up) 0.4800): accuracy 0.5880, log loss 0.6801, Brier 0.2434",
    ]);
    const edge = container.querySelector('tr[data-model="6"] [data-cell="verdict"]')!;
    expect([edge.textContent, edge.className]).toEqual(["edge", "pos"]);
  });

  it("keeps the explained 404 state per card, nothing invented", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
    });
    const { container } = renderAt("/rl");
    const endpoints = ["/api/intelligence/now/", "/api/models/ and /api/strategy/runs/", "/api/rl/agent/", "/api/rl/calibrations/", "/api/rl/rewards/", "/api/models/", "/api/models/predictions/"];
    for (const endpoint of endpoints) {
      await screen.findByText(endpoint);
    }
    expect(container.querySelectorAll('[data-empty="not-available"]').length).toBe(7);
    expect(container.querySelector('[data-figure^="agent_"]')).toBeNull();
  });

  it("shows the calibration history newest first: what changed, before -> after, and why", async () => {
    const CALIBRATIONS = [
      { id: 9, rewards_used: 64, before: { epsilon: 0.1, risk_aversion: 0.5 }, after: { epsilon: 0.05, risk_aversion: 0.8 },
        changes: { epsilon: [0.1, 0.05, "rewards stable over 64 trades"], risk_aversion: [0.5, 0.8, "drawdown 3.1 % > 2 %"] },
        created_at: "2026-01-10T12:00:00Z" },
      { id: 8, rewards_used: 12, before: { epsilon: 0.1 }, after: { epsilon: 0.1 }, changes: {}, created_at: "2026-01-09T12:00:00Z" },
    ];
    const { calls } = fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      "/api/rl/calibrations/": () => json({ count: 31, results: CALIBRATIONS }),
    });
    const { container } = renderAt("/rl");
    await waitFor(() => expect(container.querySelectorAll("tr[data-calibration-run]").length).toBe(2));
    expect(calls).toContain("GET /api/rl/calibrations/?limit=20");
    const rows = [...container.querySelectorAll("tr[data-calibration-run]")];
    expect(rows.map((r) => r.getAttribute("data-calibration-run"))).toEqual(["9", "8"]);
    const [newest, older] = rows;
    expect(newest.querySelector('[data-cell="created_at"]')!.textContent).toBe("2026-01-10 12:00:00 UTC");
    expect(newest.querySelector('[data-cell="rewards_used"]')!.textContent).toBe("64");
    const ra = newest.querySelector('[data-param="risk_aversion"]')!;
    expect(ra.querySelector('[data-cell="change"]')!.textContent).toBe("0.5 → 0.8");
    expect(ra.textContent).toContain("drawdown 3.1 % > 2 %");
    expect([ra.getAttribute("data-before"), ra.getAttribute("data-after"), ra.getAttribute("data-why")]).toEqual(["0.5", "0.8", "drawdown 3.1 % > 2 %"]);
    expect(newest.querySelectorAll("[data-param]").length).toBe(2);
    expect(older.querySelector("[data-no-change]")!.textContent).toBe("No parameter changed.");
    expect(screen.getByTestId("rl-calibrations").querySelector("[data-count]")!.textContent).toBe("2 shown · 31 on record");
  });

  it("says so when the calibrator has not run", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      "/api/rl/calibrations/": () => json({ count: 0, results: [] }),
    });
    renderAt("/rl");
    await screen.findByText("The calibrator has not run yet");
  });

  it("puts one reward series per symbol in time order", () => {
    const { symbols, points } = rewardSeries(REWARDS);
    expect(symbols).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(points).toEqual([{ t: 1768039200000, BTCUSDT: 0.1955 }, { t: 1768042800000, ETHUSDT: -0.0707 }]);
  });
});

describe("strategies page", () => {
  it("shows evolution runs with a progress bar while one runs, versions and regimes", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/strategy/runs/": () =>
        json([
          { id: 5, family: "ma_cross", symbol: "BTCUSDT", status: "running", progress: 35, generation: 7, generations: 20, population: 24,
            best_score: 1.2345, best_params: { fast: 9, slow: 40 }, holdout_score: null, history: [], search_bars: 40000, holdout_bars: 10000,
            result: null, error: "", created_at: "2026-01-10T11:00:00Z", finished_at: null },
          { id: 4, family: "mean_revert", symbol: "ETHUSDT", status: "ok", progress: 100, generation: 20, generations: 20, population: 24,
            best_score: 0.8, best_params: {}, holdout_score: 0.51, history: [], search_bars: 40000, holdout_bars: 10000,
            result: null, error: "", created_at: "2026-01-10T09:00:00Z", finished_at: "2026-01-10T10:00:00Z" },
        ]),
      "/api/strategy/versions/": () =>
        json([{ id: 2, family: "ma_cross", params: { fast: 9, slow: 40 }, status: "active", search_score: 1.2, holdout_score: 0.6,
          evolution_run: 3, created_at: "2026-01-09T10:00:00Z",
          events: [{ action: "promote", from_status: "candidate", to_status: "active", replaced: null, actor: "boss", reason: "hold-out beat live", created_at: "2026-01-09T11:00:00Z" }] }]),
      "/api/regimes/": () => json({ latest: [{ symbol: "BTCUSDT", regime: "trend", as_of_ms: 1768039200000, stats: { vol_ratio: 1.1 }, created_at: "2026-01-10T10:00:00Z" }], history: [] }),
    });
    const { container } = renderAt("/strategies");
    await screen.findByText("Evolution runs · 1 running");
    const bars = screen.getAllByRole("progressbar");
    expect(bars.length).toBe(1); // only the running one
    expect(bars[0].getAttribute("aria-valuenow")).toBe("35");
    expect(container.querySelector('[data-run="5"]')!.textContent).toContain("generation 7/20");
    await waitFor(() => expect(container.querySelector('tr[data-version="2"]')).not.toBeNull());
    expect(container.querySelector('tr[data-version="2"] [data-cell="events"]')!.textContent).toContain("promote candidate→active by boss");
    await waitFor(() => expect(container.querySelector('tr[data-regime="BTCUSDT"] [data-cell="regime"]')?.textContent).toBe("trend"));
  });

  it("reads progress as a percent, a fraction or generations", () => {
    expect(progressOf({ progress: 1 })).toBe(1);
    expect(progressOf({ progress: 0.25 })).toBe(25);
    expect(progressOf({ progress_pct: 60 })).toBe(60);
    expect(progressOf({ generation: 5, generations: 20 })).toBe(25);
    expect(progressOf({})).toBeNull();
  });
});

const NOW = {
  symbols: [
    { symbol: "BTCUSDT", source: "strategy:ma_cross", strategy_version: 4, why: "active ma_cross version 4 (promoted: deflated Sharpe 0.97)" },
    { symbol: "ETHUSDT", source: "ensemble", strategy_version: null,
      why: "the ensemble, standing aside: no live model's skill is significant yet (every weight 0)" },
  ],
  models: { live: [{ id: 3, kind: "logreg", weight: 0, verdict: "no edge" }, { id: 5, kind: "hgb", weight: 0.145, verdict: "edge" }],
    weights: "significance", history_ready: false, history_bars: { BTCUSDT: 1200, ETHUSDT: 900 }, history_needed: 1440 },
  strategies: { active: [{ id: 4, family: "ma_cross", params: { fast: 9, slow: 40 } }], promotion: "auto" },
};

const trainingRun = (progress: number, stage: string, folds: unknown[], status = "running") => ({
  id: 21, kind: "hgb", status, progress, stage, folds, model_version: null, error: "",
  created_at: "2026-01-10T11:50:00Z", started_at: "2026-01-10T11:50:01Z", finished_at: null,
});
const FOLD = (k: number) => ({ fold: k, n_train: 800 * k, n_test: 800, accuracy: 0.52 + k / 100, accuracy_ci: [0.49, 0.56],
  best_base: { name: "always_down", accuracy: 0.53 }, log_loss: 0.69, brier_skill: 0.001, edge: false });
const evolutionRun = (generation: number, stage: string, folds: unknown[]) => ({
  id: 8, family: "mean_revert", symbol: "ETHUSDT", status: "running", progress: 10 * generation, stage, generation, generations: 8,
  population: 16, best_score: 1.5, best_params: {}, holdout_score: null, history: [], folds, search_bars: 2300, holdout_bars: 600,
  result: null, error: "", created_at: "2026-01-10T11:00:00Z", finished_at: null,
});

describe("RL page: what the desk trades with now, and research while it runs", () => {
  it("says per symbol what the desk trades with and why, with the models and strategies behind it", async () => {
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      "/api/intelligence/now/": () => json(NOW),
    });
    const { container } = renderAt("/rl");
    await waitFor(() => expect(container.querySelector('tr[data-now-symbol="BTCUSDT"]')).not.toBeNull());
    const btc = container.querySelector('tr[data-now-symbol="BTCUSDT"]')!;
    expect(btc.querySelector('[data-cell="source"]')!.textContent).toBe("strategy:ma_cross (version 4)");
    expect(btc.querySelector('[data-cell="why"]')!.textContent).toContain("deflated Sharpe 0.97");
    const eth = container.querySelector('tr[data-now-symbol="ETHUSDT"]')!;
    expect(eth.querySelector('[data-cell="source"]')!.textContent).toBe("ensemble");
    expect(eth.querySelector('[data-cell="why"]')!.textContent).toContain("standing aside");
    expect(container.querySelector('[data-figure="now_live_models"]')!.textContent).toBe("2");
    expect(container.querySelector('[data-figure="now_history"]')!.textContent).toBe("900 of 1440 bars");
    expect(container.querySelector('[data-figure="now_active_strategies"]')!.textContent).toBe("1");
    expect(screen.getByTestId("intelligence-now").textContent).toContain("promotion: auto");
    expect(container.querySelector('[data-now-model="5"]')!.textContent).toBe("v5 hgbweight 0.145edge");
  });

  it("shows each run's fold and generation while it runs, its bar moving with the polls", { timeout: 20000 }, async () => {
    let polls = 0;
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      // Each poll finds the training one fold further on, as apps/models/services.py writes it.
      "/api/models/": () => {
        const k = Math.min(4, ++polls);
        const folds = Array.from({ length: k }, (_, i) => FOLD(i + 1));
        const run = k < 4 ? trainingRun(20 + 7 * k, `walk-forward fold ${k}/4`, folds) : trainingRun(100, "done", folds, "ok");
        return json({ models: [], training_runs: [run] });
      },
      "/api/strategy/runs/": () =>
        json([evolutionRun(3, "fold 2/4, generation 3/8", [{ fold: 1, train_bars: 460, test_bars: 460, params: {}, train_score: 4.1,
          test_score: -2.31, test_score_se: 9.8, test_return: -0.01 }])]),
    });
    const { container } = renderAt("/rl");
    const card = await screen.findByTestId("research-progress");
    await waitFor(() => expect(card.querySelector('[data-research-run="training 21"]')).not.toBeNull());
    const training = () => card.querySelector('[data-research-run="training 21"]');
    expect(training()!.querySelector('[data-cell="stage"]')!.textContent).toMatch(/^walk-forward fold [123]\/4$/);
    const evolution = card.querySelector('[data-research-run="evolution 8"]')!;
    expect(evolution.querySelector('[data-cell="stage"]')!.textContent).toBe("fold 2/4, generation 3/8 · best so far 1.5");
    expect(evolution.textContent).toContain("fold 1: out-of-sample score -2.3 ± 9.8 on 460 bars");
    expect(screen.getByRole("progressbar", { name: "in progress: evolution 8" }).getAttribute("aria-valuenow")).toBe("30");
    // The bar and the folds move with the 2 s polls while the run is active...
    await waitFor(() => expect(screen.getByRole("progressbar", { name: "in progress: training 21" }).getAttribute("aria-valuenow")).toBe("41"), { timeout: 7000 });
    expect(training()!.querySelector('[data-cell="stage"]')!.textContent).toBe("walk-forward fold 3/4");
    expect(training()!.querySelector("[data-folds]")!.getAttribute("data-folds")).toBe("3");
    expect(training()!.textContent).toContain("fold 3: accuracy 0.5500 vs 0.5300 (always_down) on 800 bars");
    // ...and a finished run leaves the card.
    await waitFor(() => expect(training()).toBeNull(), { timeout: 7000 });
    expect(container.querySelector('[data-training="21"]')!.textContent).toContain("ok · 100 %");
  });

  it("shows each calibrator change with its figure then and over the trades since", async () => {
    const effects = [
      { parameter: "reward_clip", before: 1, after: 0.32, why: "4 x robust sigma", figure: "robust_sigma",
        at_change: { value: 0.08, n: 50, se: null }, since: { value: 0.0612, n: 40, se: null }, since_until_ms: 1767000900000 },
      { parameter: "epsilon", before: 0.15, after: 0.16, why: "0.3/sqrt(1+50/20)", figure: "mean_reward",
        at_change: { value: 0.012, n: 50, se: 0.01 }, since: { value: 0.02, n: 40, se: 0.008 }, since_until_ms: 1767000900000 },
    ];
    fakeApi({
      "/api/auth/me/": ME,
      "/api/health/": () => json(HEALTH_OK),
      "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
      "/api/rl/calibrations/": () => json({ count: 1, results: [{ id: 3, rewards_used: 50, before: { epsilon: 0.15, reward_clip: 1 },
        after: { epsilon: 0.16, reward_clip: 0.32 }, changes: { reward_clip: [1, 0.32, "4 x robust sigma"], epsilon: [0.15, 0.16, "0.3/sqrt(1+50/20)"] },
        through_ms: 1767000490000, effects, created_at: "2026-01-10T12:00:00Z" }] }),
    });
    const { container } = renderAt("/rl");
    await waitFor(() => expect(container.querySelector('tr[data-calibration-run="3"]')).not.toBeNull());
    const row = container.querySelector('tr[data-calibration-run="3"]')!;
    const clip = row.querySelector('[data-param="reward_clip"] [data-cell="effect"]')!;
    expect(clip.textContent).toBe("robust σ of rewards: 0.0800 (n 50) then → 0.0612 (n 40) since (to the next calibration) · lower");
    const eps = row.querySelector('[data-param="epsilon"] [data-cell="effect"]')!;
    expect(eps.textContent).toBe("mean reward: 0.0120 ± 0.0100 (n 50) then → 0.0200 ± 0.0080 (n 40) since (to the next calibration) · within noise");
  });

  it("judges a change's effect by its figure's noise", () => {
    const mean = (then: number, se1: number, since: number | null, se2: number | null, n = 30) => ({
      parameter: "epsilon", before: 0.2, after: 0.1, why: "", figure: "mean_reward" as const, since_until_ms: null,
      at_change: { value: then, n: 100, se: se1 }, since: { value: since, n: since === null ? 0 : n, se: se2 },
    });
    expect(effectVerdict(mean(0.01, 0.01, 0.03, 0.01))).toBe("within noise"); // 0.02 <= 2 x 0.0141
    expect(effectVerdict(mean(0.01, 0.01, 0.04, 0.01))).toBe("higher"); // 0.03 > 0.0283
    expect(effectVerdict(mean(0.01, 0.01, -0.03, 0.01))).toBe("lower");
    expect(effectVerdict(mean(0.01, 0.01, null, null))).toBe("no trades yet");
    const sigma = { ...mean(0.1, 0, 0.12, 0), figure: "robust_sigma" as const, at_change: { value: 0.1, n: 100, se: null }, since: { value: 0.12, n: 30, se: null } };
    expect(effectVerdict(sigma)).toBe("higher");
  });
});
