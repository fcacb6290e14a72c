import { useMemo, useState } from "react";
import type { Row } from "../api/types";
import { formatTime } from "./ui";

function cell(key: string, value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (/(^|_)(time|at|ts|timestamp)$/.test(key)) return formatTime(value as string);
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A filterable table of whatever rows a (future) endpoint answers: columns from the keys. */
export function DataTable({ rows, testId, filterable = true }: { rows: Row[]; testId?: string; filterable?: boolean }) {
  const [filter, setFilter] = useState("");
  const columns = useMemo(() => {
    const seen: string[] = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!seen.includes(k)) seen.push(k);
    return seen;
  }, [rows]);
  const shown = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    if (!needle) return rows;
    return rows.filter((r) => columns.some((c) => cell(c, r[c]).toLowerCase().includes(needle)));
  }, [rows, columns, filter]);
  return (
    <div data-testid={testId}>
      {filterable && (
        <input
          className="filter"
          type="search"
          placeholder="Filter (symbol, status, id…)"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          aria-label="filter rows"
        />
      )}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r, i) => (
              <tr key={String(r.id ?? i)}>
                {columns.map((c) => (
                  <td key={c}>{cell(c, r[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="muted">
        {shown.length} of {rows.length} rows
      </div>
    </div>
  );
}
