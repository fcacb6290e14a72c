import type { ReactNode } from "react";
import { ApiError } from "../api/client";
import { formatBalance, formatMoney, formatPct, signClass } from "../lib/money";
import { formatAge, type Freshness } from "../lib/staleness";
import { WINDOWS, type Window } from "../api/types";

/** The age line every card carries; prominent when the numbers are not current. */
export function AgeBadge({ fresh }: { fresh: Freshness }) {
  const label =
    fresh.state === "live"
      ? `updated ${formatAge(fresh.ageSeconds)}`
      : fresh.state === "loading"
        ? "loading…"
        : fresh.state === "error"
          ? "no data: API unreachable"
          : `NOT CURRENT: ${fresh.reason}`;
  return (
    <span className={`age age-${fresh.state}`} data-freshness={fresh.state} role={fresh.current ? undefined : "status"}>
      {label}
    </span>
  );
}

export function Card({
  title,
  fresh,
  children,
  className = "",
  testId,
}: {
  title: string;
  fresh?: Freshness;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  const notCurrent = fresh && (fresh.state === "stale" || fresh.state === "offline");
  return (
    <section className={`card ${notCurrent ? "card-stale" : ""} ${className}`} data-testid={testId}>
      <header className="card-head">
        <h2>{title}</h2>
        {fresh && <AgeBadge fresh={fresh} />}
      </header>
      <div className="card-body">{children}</div>
    </section>
  );
}

type FigureKind = "pnl" | "balance" | "pct" | "count";

/** One figure: the formatted text, with the raw API string kept in data-raw for tests. */
export function Figure({
  name,
  label,
  value,
  kind = "pnl",
  sub,
}: {
  name: string;
  label: string;
  value: string | number | null | undefined;
  kind?: FigureKind;
  sub?: ReactNode;
}) {
  const text =
    kind === "pnl"
      ? formatMoney(value)
      : kind === "balance"
        ? formatBalance(value)
        : kind === "pct"
          ? formatPct(value)
          : value === null || value === undefined
            ? "—"
            : String(value);
  const cls = kind === "pnl" || kind === "pct" ? signClass(value) : "";
  return (
    <div className="figure">
      <div className="figure-label">{label}</div>
      <div className={`figure-value ${cls}`} data-figure={name} data-raw={value === null || value === undefined ? "" : String(value)}>
        {text}
      </div>
      {sub && <div className="figure-sub">{sub}</div>}
    </div>
  );
}

export function Money({ value, sign = true }: { value: string | null | undefined; sign?: boolean }) {
  return <span className={sign ? signClass(value) : ""}>{sign ? formatMoney(value) : formatBalance(value)}</span>;
}

export function EmptyState({ title, children, kind = "empty" }: { title: string; children?: ReactNode; kind?: string }) {
  return (
    <div className={`empty empty-${kind}`} data-empty={kind}>
      <strong>{title}</strong>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function NotAvailableState({ endpoint, what }: { endpoint: string; what: string }) {
  return (
    <EmptyState title="Not available on this desk yet" kind="not-available">
      {what} will appear here once the desk serves <code>{endpoint}</code> (it answers 404 today). Nothing is
      shown in the meantime: this page never invents data.
    </EmptyState>
  );
}

export function ErrorState({ error }: { error: Error }) {
  // a 400 is the API refusing what was asked (a filter value): its own message, field named
  if (error instanceof ApiError && error.status === 400) {
    return (
      <EmptyState title="Refused by the API" kind="refused">
        <span data-refused>{error.message}</span>
      </EmptyState>
    );
  }
  return (
    <EmptyState title="Could not load" kind="error">
      {error.message}
    </EmptyState>
  );
}

/** One of a few choices as a row of buttons, the chosen one pressed. */
export function Picker<T extends string>({
  options,
  value,
  onChange,
  label,
  className = "",
}: {
  options: readonly T[];
  value: T;
  onChange: (v: T) => void;
  label: string;
  className?: string;
}) {
  return (
    <div className={`picker ${className}`.trim()} role="group" aria-label={label}>
      {options.map((o) => (
        <button key={o} type="button" className={o === value ? "active" : ""} aria-pressed={o === value} onClick={() => onChange(o)}>
          {o}
        </button>
      ))}
    </div>
  );
}

export function WindowPicker({ value, onChange }: { value: Window; onChange: (w: Window) => void }) {
  return <Picker options={WINDOWS} value={value} onChange={onChange} label="window" />;
}

export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const ms = typeof value === "number" || /^\d+$/.test(String(value)) ? Number(value) : Date.parse(String(value));
  if (Number.isNaN(ms)) return String(value);
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/** A labelled select (filters, the research start choices); `any` adds an empty choice. */
export function Choice({
  label,
  value,
  options,
  onChange,
  any = false,
}: {
  label: string;
  value: string;
  options: readonly string[];
  onChange: (v: string) => void;
  any?: boolean;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
        {any && <option value="">any</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
