import type { ReactNode } from "react";
import type { Row } from "../api/types";
import { formatBalance, formatMoney, formatPct, formatPrice, formatQty, signClass } from "../lib/money";
import { SymbolLink } from "./SymbolLink";
import { formatTime } from "./ui";

/** One column of a typed table: how to show a row's value, and the raw API value kept in
 * data-raw (the e2e test compares both). */
export interface Column<T> {
  key: string;
  label: string;
  render?: (row: T) => ReactNode;
  /** class of the cell (sign colour, side) */
  cls?: (row: T) => string;
  /** the cell may wrap onto more lines (times, ids, free text), so the table fits its card */
  wrap?: boolean;
}

const get = (row: unknown, key: string): unknown => (row as Record<string, unknown>)[key];

export function rawOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** `columns` without the one keyed "account" unless `rows` span more than one account: the rows
 * of one account need no column saying so (docs/frontend.md, "Accounts"). */
export function byAccount<T extends { account: string }>(columns: Column<T>[], rows: T[]): Column<T>[] {
  return new Set(rows.map((r) => r.account)).size > 1 ? columns : columns.filter((c) => c.key !== "account");
}

/** Column factories: every figure is formatted from the API's decimal string, never a float. */
export const col = {
  text: <T,>(key: string, label: string, wrap = false): Column<T> => ({
    key,
    label,
    wrap,
    render: (r) => {
      const v = get(r, key);
      return v === null || v === undefined || v === "" ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v);
    },
  }),
  /** signed money: "+1.23 USDT" / "−1.23 USDT" */
  pnl: <T,>(key: string, label: string): Column<T> => ({
    key,
    label,
    render: (r) => formatMoney(get(r, key)),
    cls: (r) => signClass(get(r, key)),
  }),
  balance: <T,>(key: string, label: string): Column<T> => ({ key, label, render: (r) => formatBalance(get(r, key)) }),
  price: <T,>(key: string, label: string): Column<T> => ({ key, label, render: (r) => formatPrice(get(r, key)) }),
  qty: <T,>(key: string, label: string): Column<T> => ({ key, label, render: (r) => formatQty(get(r, key)) }),
  pct: <T,>(key: string, label: string, signed = false): Column<T> => ({
    key,
    label,
    render: (r) => (signed ? formatPct(get(r, key)) : formatMoney(get(r, key), { sign: false, unit: "%" })),
    cls: (r) => (signed ? signClass(get(r, key)) : ""),
  }),
  /** "2026-01-10 12:00:00 UTC", allowed to break between the date and the time */
  time: <T,>(key: string, label: string): Column<T> => ({
    key,
    label,
    wrap: true,
    render: (r) => {
      const text = formatTime(get(r, key) as string);
      const cut = text.indexOf(" ");
      return cut < 0 ? text : <><span className="nowrap">{text.slice(0, cut)}</span> <span className="nowrap">{text.slice(cut + 1)}</span></>;
    },
  }),
  /** a symbol, linked to its page */
  symbol: <T,>(key = "symbol", label = "Symbol"): Column<T> => ({
    key,
    label,
    cls: () => "sym",
    render: (r) => {
      const v = get(r, key);
      return typeof v === "string" && v ? <SymbolLink symbol={v} /> : "—";
    },
  }),
  bool: <T,>(key: string, label: string): Column<T> => ({
    key,
    label,
    render: (r) => (get(r, key) === true ? "yes" : get(r, key) === false ? "no" : "—"),
  }),
  side: <T,>(key: string, label: string): Column<T> => ({
    key,
    label,
    render: (r) => String(get(r, key) ?? "—"),
    cls: (r) => `side side-${String(get(r, key) ?? "").toLowerCase()}`,
  }),
};

/** Columns whose key some row carries: for endpoints whose shape is still settling, show the
 * known fields that are there and never a column of blanks. */
export function presentColumns<T>(rows: T[], columns: Column<T>[]): Column<T>[] {
  return columns.filter((c) => rows.some((r) => get(r, c.key) !== undefined));
}

export function ColumnTable<T extends object>({
  rows,
  columns,
  rowKey,
  rowAttrs,
  className = "num",
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T, i: number) => string;
  rowAttrs?: (row: T) => Record<string, string>;
  className?: string;
}) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key}>{c.label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey(r, i)} {...(rowAttrs ? rowAttrs(r) : {})}>
              {columns.map((c) => (
                <td key={c.key} data-cell={c.key} data-raw={rawOf(get(r, c.key))} className={[c.cls ? c.cls(r) : "", c.wrap ? "wrap" : ""].filter(Boolean).join(" ") || undefined}>
                  {c.render ? c.render(r) : rawOf(get(r, c.key)) ?? "—"}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export type { Row };

/** A JSON object as "k=v, k=v" (model metrics, strategy params); numbers to 4 significant places. */
export function compact(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "object") return String(value);
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length) return "—";
  return entries
    .map(([k, v]) => `${k}=${typeof v === "number" ? Number(v.toPrecision(4)) : typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
}

/** A float score shown to 4 decimals (model skill, rewards as ratios): not money. */
export function score(value: unknown, places = 4): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = Number(value);
  return Number.isFinite(n) ? n.toFixed(places) : String(value);
}

export function ProgressBar({ pct, label }: { pct: number; label: string }) {
  const p = Math.max(0, Math.min(100, pct));
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuenow={Math.round(p)} aria-valuemin={0} aria-valuemax={100}>
      <div style={{ width: `${p}%` }} />
    </div>
  );
}
