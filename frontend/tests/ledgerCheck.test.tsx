import { beforeEach, describe, expect, it, vi } from "vitest";
import { waitFor } from "@testing-library/react";
import type { LedgerCheck } from "../src/api/types";
import { describeDifference } from "../src/components/LedgerCheckCard";
import { HEALTH_OK, fakeApi, json, rlDashboard } from "./fakeApi";
import { renderAt } from "./render";

beforeEach(() => {
  vi.unstubAllGlobals();
});

function ledgerCheck(over: Partial<LedgerCheck> = {}): LedgerCheck {
  return {
    status: "match",
    age_seconds: 12,
    interval_seconds: 300,
    checked_at: "2026-01-10T11:59:48Z",
    since: "2025-10-12T12:00:00Z",
    until: "2026-01-10T11:59:00Z",
    snapshot_time: "2026-01-10T11:59:45Z",
    income: [],
    positions: [],
    differences: [],
    unsettled: [],
    error: "",
    error_at: null,
    ...over,
  };
}

function overview(check: LedgerCheck) {
  fakeApi({
    "/api/auth/me/": () => json({ username: "alice", is_staff: false }),
    "/api/health/": () => json(HEALTH_OK),
    "/api/rl-dashboard/": () => json(rlDashboard()),
    "/api/pnl/daily/": () => json({ days: [] }),
    "/api/pnl/ledger-check/": () => json(check),
  });
  const { container } = renderAt("/");
  const card = () => container.querySelector('[data-testid="ledger-check-card"] [data-figure="ledger_check"]');
  return { container, card };
}

describe("the overview's check against the exchange", () => {
  it("says the ledger matches the exchange and how long ago it was checked", async () => {
    const { card } = overview(ledgerCheck());
    await waitFor(() => expect(card()).not.toBeNull());
    expect(card()!.textContent).toBe("Matches the exchange, checked 12 s ago");
  });

  it("names each differing figure with both sides and the amount it is off by", async () => {
    const differences: LedgerCheck["differences"] = [
      { kind: "income", account: "desk", key: "COMMISSION", figure: "count", record: "ledger", ours: "1", exchange: "2", delta: "-1" },
      { kind: "income", account: "desk", key: "COMMISSION", figure: "sum", record: "ledger", ours: "-0.25000000", exchange: "-0.75000000", delta: "0.50000000" },
      { kind: "position", account: "desk", key: "BTCUSDT", figure: "amount", record: "snapshot", ours: "0.01", exchange: "0.03", delta: "-0.02" },
    ];
    const { container, card } = overview(
      ledgerCheck({ status: "differs", age_seconds: 75, differences, unsettled: ["ETHUSDT"], error: "PayloadError: income[3].income: 'NaN' is not finite", error_at: "2030-01-01T00:00:00Z" }),
    );
    await waitFor(() => expect(card()).not.toBeNull());
    expect(card()!.textContent).toBe("Differs from the exchange on 3 figures, checked 1 min ago");
    const items = [...container.querySelectorAll("[data-ledger-differences] li")].map((li) => li.textContent);
    expect(items).toEqual([
      "COMMISSION rows (ledger rows): 1 here, 2 on the exchange, off by \u22121",
      "COMMISSION sum (ledger rows): \u22120.25000000 USDT here, \u22120.75000000 USDT on the exchange, off by +0.50000000 USDT",
      "BTCUSDT amount (last snapshot): 0.01 here, 0.03 on the exchange, off by \u22120.02",
    ]);
    expect(container.querySelector("[data-ledger-unsettled]")!.textContent).toContain("ETHUSDT traded since the compared snapshot");
    expect(container.querySelector("[data-ledger-check-error]")!.textContent).toContain("'NaN' is not finite");
  });

  it("says when no check has completed yet, and warns when the last one is old", async () => {
    const first = overview(ledgerCheck({ status: "never", age_seconds: null, checked_at: null }));
    await waitFor(() => expect(first.card()).not.toBeNull());
    expect(first.card()!.textContent).toBe("Not checked against the exchange yet");
    first.container.remove();
    const old = overview(ledgerCheck({ age_seconds: 3600 }));
    await waitFor(() => expect(old.container.querySelector("[data-ledger-check-old]")).not.toBeNull());
    expect(old.card()!.textContent).toBe("Matches the exchange, checked 1 h ago");
  });

  it("shows an entry price difference with the price's digits", () => {
    expect(
      describeDifference({ kind: "position", account: "desk", key: "BTCUSDT", figure: "entry", record: "snapshot", ours: "40000.00000000", exchange: "40200.50000000", delta: "-200.50000000" }),
    ).toBe("BTCUSDT entry (last snapshot): 40,000.00 here, 40,200.50 on the exchange, off by \u2212200.50");
  });
});
