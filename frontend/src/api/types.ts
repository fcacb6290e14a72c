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

/** Future endpoints: shapes not fixed yet; pages render whatever rows they answer. */
export type Row = Record<string, unknown>;
export type ListAnswer = Row[] | { results?: Row[]; items?: Row[]; [key: string]: unknown };

export function rowsOf(answer: ListAnswer | null | undefined): Row[] {
  if (!answer) return [];
  if (Array.isArray(answer)) return answer;
  for (const key of ["results", "items", "intents", "orders", "positions", "runs"]) {
    const v = (answer as Record<string, unknown>)[key];
    if (Array.isArray(v)) return v as Row[];
  }
  return [];
}
