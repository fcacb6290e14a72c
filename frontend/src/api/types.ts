/** Wire shapes. Money, prices, quantities and percentages are decimal strings. Most are the
 * generated schema's components (./schema.d.ts, `make api-types`); the interfaces left here are
 * narrower than the schema says (free-form JSON fields the pages read) — docs/frontend.md. */

import type { components } from "./schema";

type Schemas = components["schemas"];

export type Dec = string;

export type Me = Schemas["MeOutput"];

/** GET /api/accounts/: the desk's exchange accounts (masked keys), for the pages' picker. */
export type Accounts = Schemas["AccountsOutput"];

/** GET /api/health/ (apps/ops/api/serializers.py): a part that failed its check answers
 * {ok: false, error} alone, so its other fields are optional. */
export type Health = Schemas["HealthOutput"];
export type ComponentHealth = Schemas["ComponentOutput"];
export type QueueHealth = Schemas["QueueHealthOutput"];
export type WorkerHealth = Schemas["WorkerHealthOutput"];

export type Window = "24h" | "7d" | "30d" | "all";
export const WINDOWS: Window[] = ["24h", "7d", "30d", "all"];

// Generated from the API's OpenAPI schema (src/api/schema.d.ts, `make api-types`; CI fails
// when it is stale): the dashboard's PnL shapes are the serializers' own, not a copy.
export type SymbolPnl = Schemas["SymbolOutput"];
export type Totals = Schemas["TotalsOutput"];
export type RlDashboard = Omit<Schemas["DashboardOutput"], "window"> & { window: Window };
export type HistoryPoint = Schemas["HistoryPointOutput"];
export type SymbolHistory = Schemas["HistoryOutput"];
export type DailyPnl = Schemas["DayOutput"];
export type EquityPoint = Schemas["EquityPointOutput"];
/** GET /api/pnl/ledger-check/ (docs/figures.md, "Checked against the exchange"). */
export type LedgerDifference = Schemas["DifferenceOutput"];
export type LedgerCheck = Schemas["LedgerCheckOutput"];


export const INTENT_STATES = [
  "NEW", "APPROVED", "REJECTED", "SUBMITTING", "SUBMITTED", "FILLED", "PARTIALLY_FILLED", "FAILED",
] as const;
/** Binance order statuses (GET /fapi/v1/allOrders). */
export const ORDER_STATUSES = ["NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH", "REJECTED"] as const;
export const SIDES = ["BUY", "SELL"] as const;
export const DESK_MODES = ["normal", "defensive", "halt"] as const;

// From the schema too: the trading API's rows (apps/trading/api/serializers.py).
export type Intent = Schemas["IntentOut"];
export type Order = Schemas["OrderOut"];
/** Every trading list answers {count, results}: count = the rows matching the filters. */
export type IntentPage = Schemas["IntentPageOut"];
export type OrderPage = Schemas["OrderPageOut"];
export type TradingPosition = Schemas["PositionOut"];
export type PositionPage = Schemas["PositionPageOut"];
/** GET /api/trading/symbols/{symbol}/chart/ */
export type ChartCandle = Schemas["CandleOut"];
export type ChartPosition = Schemas["ChartPositionOut"];
export type ChartFill = Schemas["ChartFillOut"];
export type SymbolChart = Schemas["SymbolChartOut"];
export type RiskPolicy = Schemas["PolicyOut"];
export type Desk = Schemas["DeskOut"];
/** POST /api/trading/desk/ answers the desk as it now is, and what a flatten made. */
export type DeskChangeAnswer = Schemas["DeskChangeOut"];

/** GET /api/ops/ports/ */
export type PortRow = Schemas["PortOutput"];

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
/** A model's hold-out report and its base rates (apps/models/evaluation.py), as the schema
 * describes ModelVersion.metrics: every key optional, as older versions carry only some. */
export type HoldoutReport = Schemas["HoldoutReportOutput"];

/** params and live_metrics are free-form JSON in the schema: the page reads them so. */
export type ModelVersionRow = Omit<Schemas["ModelOutput"], "params" | "metrics" | "live_metrics"> & {
  params: Record<string, unknown>;
  metrics: HoldoutReport & Record<string, unknown>;
  live_metrics: Record<string, unknown>;
};



export type TrainingRunRow = Schemas["TrainingRunOutput"];

export type ModelsAnswer = Omit<Schemas["ModelsOutput"], "models"> & { models: ModelVersionRow[] };

export type PredictionRow = Schemas["PredictionOutput"];

export type RegimeRow = Schemas["RegimeOutput"];

export type Arm = Schemas["ArmOutput"];



export type Calibration = Schemas["CalibrationOutput"];
/** One calibrator change with the figure it acted on, then and over the trades since. */
export type CalibrationEffect = Schemas["EffectOutput"];
/** GET /api/intelligence/now/: what the desk trades with right now per symbol, and why. */
export type IntelligenceNow = Schemas["NowOutput"];

/** A training run's walk-forward fold as apps/models/services.py stores it (the schema: JSON). */
export interface TrainingFold {
  fold: number;
  n_train: number;
  n_test: number;
  accuracy: number;
  best_base: { name: string; accuracy: number };
  edge: boolean;
}

/** An evolution run's walk-forward fold as apps/strategy/services.py stores it. */
export interface EvolutionFold {
  fold: number;
  train_bars: number;
  test_bars: number;
  test_score: number;
  test_score_se?: number;
  incumbent_score?: number;
}
export type RlAgent = Schemas["AgentOutput"];

export type RewardRow = Schemas["RewardOutput"];

export type StrategyVersionRow = Omit<Schemas["VersionOutput"], "params"> & { params: Record<string, unknown> };
export type EvolutionRunRow = Schemas["RunOutput"];
