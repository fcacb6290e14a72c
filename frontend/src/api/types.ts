/** Wire shapes. Money, prices, quantities and percentages are decimal strings. */

export type Dec = string;

export interface Me {
  username: string;
  is_staff: boolean;
}

export interface ComponentHealth {
  ok: boolean;
  latency_ms?: number;
  error?: string;
  [key: string]: unknown;
}

export interface QueueHealth {
  ok: boolean;
  workers: string[];
  error?: string;
}

export interface Health {
  status: "ok" | "down";
  down: string[];
  checked_at: string;
  components: {
    database: ComponentHealth & { vendor?: string };
    redis: ComponentHealth;
    queues: Record<string, QueueHealth>;
    beat: ComponentHealth & { last_tick: string | null; age_seconds: number | null };
    exchange: ComponentHealth & { url?: string };
  };
}

export interface SymbolPnl {
  symbol: string;
  side: string;
  position_size: Dec;
  entry_price: Dec;
  mark_price: Dec;
  leverage: Dec | number;
  notional: Dec;
  initial_margin: Dec;
  unrealized_pnl: Dec;
  unrealized_pct: Dec;
  realized_pnl: Dec;
  realized_pct: Dec;
  total_pnl: Dec;
  realized_trades: number;
  commission: Dec;
  funding: Dec;
  reward: Dec;
}

export interface Totals {
  wallet_balance: Dec;
  equity: Dec;
  available_balance: Dec;
  unrealized_pnl: Dec;
  realized_pnl: Dec;
  total_pnl: Dec;
  commission: Dec;
  funding: Dec;
  net_pnl: Dec;
  realized_trades: number;
  initial_margin: Dec;
}

export type Window = "24h" | "7d" | "30d" | "all";
export const WINDOWS: Window[] = ["24h", "7d", "30d", "all"];

export interface RlDashboard {
  status: "ok" | "no_data" | "stale";
  message: string;
  window: Window;
  window_start: string | null;
  as_of: string | null;
  marks_as_of: string | null;
  poll_age_seconds: number | null;
  symbols_tracked: number;
  symbols: SymbolPnl[];
  best_performer: string | null;
  best_reward: Dec | null;
  avg_reward: Dec | null;
  totals: Totals | null;
}

export interface HistoryPoint {
  time: string | number;
  unrealized_pnl: Dec;
  realized_pnl: Dec;
  total_pnl: Dec;
  reward: Dec;
}

export interface SymbolHistory {
  symbol: string;
  points: HistoryPoint[];
}

export interface DailyPnl {
  date: string;
  realized_pnl: Dec;
  commission: Dec;
  funding: Dec;
  net_pnl: Dec;
  trades: number;
}

export interface EquityPoint {
  time: string | number;
  wallet_balance: Dec;
  equity: Dec;
}

/** GET /api/pnl/ledger-check/ (apps/pnl/api/serializers.py LedgerCheckOutput; docs/figures.md,
 * "Checked against the exchange"). */
export interface LedgerDifference {
  kind: "income" | "position";
  /** the income type or the symbol */
  key: string;
  figure: "count" | "sum" | "amount" | "entry";
  /** which of our records differs: the ledger rows, the daily rollup, the last snapshot */
  record: "ledger" | "rollup" | "snapshot";
  ours: Dec;
  exchange: Dec;
  /** ours - exchange */
  delta: Dec;
}

export interface LedgerCheck {
  status: "match" | "differs" | "never";
  /** seconds since the last completed check, at the answer's time */
  age_seconds: number | null;
  interval_seconds: number;
  checked_at: string | null;
  since: string | null;
  until: string | null;
  snapshot_time: string | null;
  income: Array<{
    income_type: string;
    exchange_count: number;
    exchange_sum: Dec;
    ledger_count: number;
    ledger_sum: Dec;
    rollup_count: number;
    rollup_sum: Dec;
  }>;
  positions: Array<{ symbol: string; snapshot_amount: Dec; snapshot_entry: Dec; exchange_amount: Dec; exchange_entry: Dec }>;
  differences: LedgerDifference[];
  /** symbols filled since the compared snapshot: compared at the next check */
  unsettled: string[];
  /** the last failed check's error ("" after a good one) */
  error: string;
  error_at: string | null;
}

/** Trading API (apps/trading/api/serializers.py): every list answers {count, results}. */
export interface ListPage<T> {
  count: number;
  results: T[];
}

export const INTENT_STATES = [
  "NEW", "APPROVED", "REJECTED", "SUBMITTING", "SUBMITTED", "FILLED", "PARTIALLY_FILLED", "FAILED",
] as const;
/** Binance order statuses (GET /fapi/v1/allOrders). */
export const ORDER_STATUSES = ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED"] as const;
export const SIDES = ["BUY", "SELL"] as const;
export const DESK_MODES = ["normal", "defensive", "halt"] as const;

export interface Intent {
  id: number;
  account: string;
  symbol: string;
  side: string;
  action: string;
  quantity: Dec;
  leverage: number;
  reduce_only: boolean;
  reason: string;
  confidence: Dec;
  signal: unknown;
  reference_price: Dec | null;
  risk_verdict: string;
  risk_reason: string;
  state: string;
  client_order_id: string | null;
  order_id: number | null;
  executed_qty: Dec;
  avg_price: Dec | null;
  realized_pnl: Dec | null;
  error_code: number | null;
  error_message: string;
  attempts: number;
  created_at: string;
  submitted_at: string | null;
  finished_at: string | null;
}

export interface Order {
  order_id: number;
  account: string;
  symbol: string;
  client_order_id: string;
  intent: number | null;
  side: string;
  type: string;
  status: string;
  orig_qty: Dec;
  executed_qty: Dec;
  avg_price: Dec;
  reduce_only: boolean;
  external: boolean;
  update_time: string;
}

export interface TradingPosition {
  account: string;
  symbol: string;
  /** signed: + long, - short */
  amount: Dec;
  entry_price: Dec;
  mark_price: Dec;
  unrealized_pnl: Dec;
  leverage: number;
  entries: number;
  take_profit: Dec | null;
  stop_loss: Dec | null;
  trailing_pct: Dec | null;
  best_price: Dec | null;
  trailing_stop: Dec | null;
  /** trigger (by mark) of the working exchange-side backstop; null when there is none */
  backstop_price: Dec | null;
  opened_at: string;
  updated_at: string;
}

/** GET /api/trading/symbols/{symbol}/chart/ (apps/trading/api/serializers.py SymbolChartOut) */
export interface ChartCandle {
  /** open time, ms since the epoch (UTC) */
  time_ms: number;
  open: Dec;
  high: Dec;
  low: Dec;
  close: Dec;
  volume: Dec;
}

export interface ChartPosition {
  account: string;
  /** signed: + long, - short */
  amount: Dec;
  entry_price: Dec;
  mark_price: Dec;
  take_profit: Dec | null;
  stop_loss: Dec | null;
  trailing_stop: Dec | null;
  backstop_price: Dec | null;
}

export interface ChartFill {
  intent_id: number;
  account: string;
  /** when the desk recorded the fill */
  time: string;
  side: string;
  action: string;
  reason: string;
  price: Dec;
  qty: Dec;
}

export interface SymbolChart {
  symbol: string;
  interval: string;
  traded: boolean;
  /** the desk's stored closed klines, oldest first */
  candles: ChartCandle[];
  positions: ChartPosition[];
  /** since the first candle, oldest first */
  fills: ChartFill[];
}

export interface RiskPolicy {
  tier: string;
  max_positions_total: number;
  max_entries_per_symbol: number;
  max_exposure_total: Dec;
  max_exposure_per_symbol: Dec;
  max_leverage: number;
  effective_max_leverage: number;
  min_confidence: Dec;
  max_daily_loss: Dec;
  max_drawdown_pct: Dec;
  updated_at?: string;
}

export interface Desk {
  mode: string;
  kill_switch: boolean;
  reason: string;
  changed_by: string | null;
  changed_at: string | null;
  equity: Dec | null;
  equity_peak: Dec | null;
  day_start_equity: Dec | null;
  policy: RiskPolicy | null;
}

/** POST /api/trading/desk/ answers the desk as it now is, and what a flatten made. */
export interface DeskChangeAnswer extends Desk {
  /** ids of the reduce-only intents flatten made ([] without flatten) */
  flatten_intents: number[];
}

/** GET /api/ops/ports/ */
export interface PortRow {
  service: string;
  bind: string;
  port: number;
  exposure: string;
  what: string;
  listening: boolean;
  holder: string | null;
  ours: boolean;
  conflict: string | null;
}

/** Endpoints whose shapes are still settling (intelligence): pages render the rows they answer. */
export type Row = Record<string, unknown>;
export type ListAnswer = Row[] | { results?: Row[]; items?: Row[]; [key: string]: unknown };

export function rowsOf(answer: ListAnswer | null | undefined): Row[] {
  if (!answer) return [];
  if (Array.isArray(answer)) return answer;
  for (const key of ["results", "items", "intents", "orders", "positions", "runs", "models", "predictions", "regimes", "rewards", "versions", "ports"]) {
    const v = (answer as Record<string, unknown>)[key];
    if (Array.isArray(v)) return v as Row[];
  }
  return [];
}

/** Intelligence (apps/models, apps/rl, apps/strategy api/views.py). Scores and weights are
 * floats on the wire there (model metrics, rewards as ratios); money stays a decimal string. */
/** One base rate's hold-out figures (apps/models/evaluation.py); log_loss null = unbounded
 * (a forecast of P(up) = 1 or 0 that is ever wrong). */
export interface HoldoutBaseline {
  accuracy: number;
  brier: number;
  log_loss: number | null;
  p_up?: number;
}

/** Hold-out report of a model trained with base rates (older versions carry only some keys). */
export interface HoldoutReport {
  n: number;
  n_effective: number;
  accuracy: number;
  accuracy_ci: [number, number];
  ci_level: number;
  brier: number;
  brier_skill: number;
  log_loss: number;
  base_rate_up: number;
  baselines: Record<"always_up" | "always_down" | "coin_flip" | "base_rate", HoldoutBaseline>;
  best_base: { name: string; accuracy: number };
  edge: boolean;
  log_loss_vs: { baseline: string; diff: number; ci: [number, number] };
  probability_skill: boolean;
  verdict: "edge" | "no edge";
}

export interface ModelVersionRow {
  id: number;
  kind: string;
  status: string;
  weight: number;
  params: Record<string, unknown>;
  metrics: Partial<HoldoutReport> & Record<string, unknown>;
  /** "edge" | "no edge" | "not evaluated" (trained before base rates were stored) */
  verdict: string;
  live_metrics: Record<string, unknown>;
  artifact_sha256: string;
  created_at: string;
  status_changed_at: string | null;
}

export interface TrainingRunRow {
  id: number;
  kind: string;
  status: string;
  /** percent 0..100 */
  progress: number;
  stage: string;
  model_version: number | null;
  error: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface ModelsAnswer {
  models: ModelVersionRow[];
  training_runs: TrainingRunRow[];
}

export interface PredictionRow {
  id: number;
  model_version: number;
  symbol: string;
  as_of_ms: number;
  horizon: number;
  prob_up: number;
  direction: number;
  price: Dec;
  scored_at: string | null;
  outcome_up: boolean | null;
  correct: boolean | null;
  brier: number | null;
  pnl: Dec | null;
}

export interface RegimeRow {
  symbol: string;
  regime: string;
  as_of_ms: number;
  stats: Record<string, unknown>;
  created_at: string;
}

export interface Arm {
  multiplier: Dec;
  n: number;
  mean: number;
  std: number;
  value: number;
}

export interface Calibration {
  id: number;
  rewards_used: number;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  /** parameter -> [before, after, why] */
  changes: Record<string, unknown>;
  created_at: string;
}

export interface RlAgent {
  epsilon: number;
  risk_aversion: number;
  reward_clip: number;
  multipliers: string[];
  version: number;
  hard_cap: Dec;
  hard_cap_source: string;
  contexts: { context: string; best_multiplier: Dec; arms: Arm[] }[];
  decisions: number;
  rewards: number;
  last_calibration: Calibration | null;
  open_alerts: { symbol: string; kind: string; value: unknown; threshold: unknown; created_at: string }[];
  stats: Record<string, Record<string, unknown>>;
}

export interface RewardRow {
  id: number;
  trade: number;
  symbol: string;
  time_ms: number;
  realized_pnl: Dec;
  commission: Dec;
  funding: Dec;
  net_pnl: Dec;
  risk_unit: Dec;
  reward: number;
  context: string;
  multiplier: Dec | null;
}

export interface StrategyVersionRow {
  id: number;
  family: string;
  params: Record<string, unknown>;
  status: string;
  search_score: number | null;
  holdout_score: number | null;
  evolution_run: number | null;
  created_at: string;
  events: { action: string; from_status: string; to_status: string; replaced: unknown; actor: string; reason: string; created_at: string }[];
}

export interface EvolutionRunRow {
  id: number;
  family: string;
  symbol: string;
  status: string;
  /** percent 0..100 */
  progress: number;
  generation: number;
  generations: number;
  population: number;
  best_score: number | null;
  best_params: Record<string, unknown>;
  holdout_score: number | null;
  history: unknown[];
  search_bars: number;
  holdout_bars: number;
  result: unknown;
  error: string;
  created_at: string;
  finished_at: string | null;
}
