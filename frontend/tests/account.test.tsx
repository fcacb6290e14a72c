import { describe, expect, it, beforeEach, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { renderAt } from "./render";
import { HEALTH_OK, INTENTS, ORDERS, POSITIONS, fakeApi, json, rlDashboard } from "./fakeApi";
import { describeDifference } from "../src/components/LedgerCheckCard";

const ME = () => json({ username: "alice", is_staff: false });
const account = (id: number, name: string, is_active = true) => ({
  id, name, venue: "paper", base_url: "http://127.0.0.1:8030", is_active, api_key_hint: "ab…yz", created_at: "2026-01-10T12:00:00Z",
});

/** A PnL row of `account` (the aggregate lists one per account and symbol). */
const pnlRow = (account_id: number, accountName: string, symbol: string, unrealized: string) => ({
  ...rlDashboard().symbols[0], account_id, account: accountName, symbol, unrealized_pnl: unrealized,
});

/** Two accounts' rows, both holding BTCUSDT: what GET /api/rl-dashboard/ answers for all accounts. */
const AGGREGATE = rlDashboard({
  symbols: [pnlRow(1, "desk-a", "BTCUSDT", "10.00000000"), pnlRow(2, "desk-b", "BTCUSDT", "-4.00000000"), pnlRow(2, "desk-b", "ETHUSDT", "1.00000000")],
  symbols_tracked: 3,
});
const ONE = rlDashboard({ symbols: [pnlRow(2, "desk-b", "ETHUSDT", "1.00000000")] });

function desk(accounts: ReturnType<typeof account>[]) {
  return fakeApi({
    "/api/auth/me/": ME,
    "/api/health/": () => json(HEALTH_OK),
    "/api/accounts/": () => json({ accounts }),
    "/api/rl-dashboard/": (_init, url) => json(url?.includes("account=") ? ONE : AGGREGATE),
    "/api/pnl/daily/": () => json({ days: [] }),
    "/api/trading/positions/": (_init, url) =>
      json(
        url?.includes("account=2")
          ? { count: 1, results: [{ ...POSITIONS[0], account: "desk-b" }] }
          : { count: 2, results: [{ ...POSITIONS[0], account: "desk-b" }, { ...POSITIONS[0], symbol: "BTCUSDT", account: "desk-a" }] },
      ),
    "/api/trading/intents/": (_init, url) =>
      json(url?.includes("account=1") ? { count: 1, results: [INTENTS[1]] } : { count: 2, results: [INTENTS[0], { ...INTENTS[1], account: "desk-a" }] }),
    "/api/trading/orders/": () => json({ count: ORDERS.length, results: ORDERS }),
  });
}

const DESK = [account(1, "desk-a"), account(2, "desk-b"), account(3, "old", false)];

beforeEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

describe("account picker", () => {
  it("reads all accounts by default and asks every endpoint for the chosen one", async () => {
    const { calls } = desk(DESK);
    renderAt("/");
    const picker = (await screen.findByTestId("account-picker")) as HTMLSelectElement;
    expect([...picker.options].map((o) => o.textContent)).toEqual(["All accounts", "desk-a", "desk-b", "old (inactive)"]);
    expect(picker.value).toBe("");
    // all accounts: no account parameter, the API aggregates every active one
    await waitFor(() => expect(calls).toContain("GET /api/rl-dashboard/?window=24h"));
    expect(calls).toContain("GET /api/pnl/ledger-check/");
    fireEvent.change(picker, { target: { value: "2" } });
    await waitFor(() => expect(calls).toContain("GET /api/rl-dashboard/?window=24h&account=2"));
    expect(calls).toContain("GET /api/pnl/daily/?days=30&account=2");
    expect(calls).toContain("GET /api/pnl/ledger-check/?account=2");
    expect(window.localStorage.getItem("qt.account")).toBe("2");
    fireEvent.change(picker, { target: { value: "" } });
    expect(window.localStorage.getItem("qt.account")).toBeNull();
  });

  it("falls back to all accounts when the stored one is no longer listed", async () => {
    window.localStorage.setItem("qt.account", "9");
    const { calls } = desk(DESK);
    renderAt("/");
    const picker = (await screen.findByTestId("account-picker")) as HTMLSelectElement;
    await waitFor(() => expect(window.localStorage.getItem("qt.account")).toBeNull());
    expect(picker.value).toBe("");
    await waitFor(() => expect(calls.filter((c) => c === "GET /api/rl-dashboard/?window=24h").length).toBeGreaterThan(0));
  });

  it("is not shown on a desk of one account", async () => {
    const { calls } = desk([account(1, "desk-a")]);
    renderAt("/");
    await waitFor(() => expect(calls).toContain("GET /api/accounts/"));
    await screen.findAllByText(/BTCUSDT/);
    expect(screen.queryByTestId("account-picker")).toBeNull();
  });
});

describe("all accounts aggregated", () => {
  it("lists each account's row of a symbol both accounts hold, naming the account", async () => {
    desk(DESK);
    const { container } = renderAt("/positions");
    const table = await screen.findByTestId("positions-table");
    await waitFor(() => expect(table.querySelectorAll("tbody tr").length).toBe(3));
    expect(within(table).getAllByRole("columnheader").map((th) => th.textContent)).toContain("Account");
    const rows = [...table.querySelectorAll("tbody tr")].map((tr) => [
      tr.getAttribute("data-symbol"),
      tr.querySelector('[data-cell="account"]')?.textContent,
      tr.querySelector('[data-cell="unrealized_pnl"]')?.getAttribute("data-raw"),
    ]);
    expect(rows).toEqual([
      ["BTCUSDT", "desk-a", "10.00000000"],
      ["BTCUSDT", "desk-b", "-4.00000000"],
      ["ETHUSDT", "desk-b", "1.00000000"],
    ]);
    // the trading positions span two accounts: their account column is shown too
    const exits = await screen.findByTestId("exits");
    await waitFor(() => expect(exits.querySelectorAll("[data-position]").length).toBe(2));
    expect(within(exits).getAllByRole("columnheader").map((th) => th.textContent)).toContain("Account");
    expect(container.querySelector('[data-testid="positions-table"] .muted.small')!.textContent).toContain("oldest of the accounts");
  });

  it("drops the account column for one account's rows and asks the trading list for it", async () => {
    window.localStorage.setItem("qt.account", "2");
    const { calls } = desk(DESK);
    renderAt("/positions");
    const table = await screen.findByTestId("positions-table");
    await waitFor(() => expect(table.querySelectorAll("tbody tr").length).toBe(1));
    expect(within(table).getAllByRole("columnheader").map((th) => th.textContent)).not.toContain("Account");
    expect(table.textContent).toContain("Account desk-b.");
    await waitFor(() => expect(calls).toContain("GET /api/trading/positions/?account=2"));
    const exits = await screen.findByTestId("exits");
    await waitFor(() => expect(exits.querySelectorAll("[data-position]").length).toBe(1));
    expect(within(exits).getAllByRole("columnheader").map((th) => th.textContent)).not.toContain("Account");
  });

  it("names the account on the overview's rows", async () => {
    desk(DESK);
    const { container } = renderAt("/");
    await waitFor(() => expect(container.querySelectorAll('[data-testid="positions-card"] li').length).toBe(3));
    const names = [...container.querySelectorAll('[data-testid="positions-card"] li [data-cell="account"]')].map((e) => e.textContent);
    expect(names).toEqual(["desk-a", "desk-b", "desk-b"]);
  });

  it("shows the account column of intents spanning accounts, and filters them by the chosen account", async () => {
    const { calls } = desk(DESK);
    const first = renderAt("/audit");
    const intents = await screen.findByTestId("audit-intents");
    await waitFor(() => expect(intents.querySelectorAll("[data-intent]").length).toBe(2));
    expect(within(intents).getAllByRole("columnheader").map((th) => th.textContent)).toContain("Account");
    // the orders are all one account's: no column
    const orders = await screen.findByTestId("audit-orders");
    await waitFor(() => expect(orders.querySelectorAll("[data-order]").length).toBe(2));
    expect(within(orders).getAllByRole("columnheader").map((th) => th.textContent)).not.toContain("Account");
    first.unmount();
    window.localStorage.setItem("qt.account", "1");
    renderAt("/audit");
    await waitFor(() => expect(calls.some((c) => c.startsWith("GET /api/trading/intents/?") && c.includes("account=1"))).toBe(true));
    expect(calls.some((c) => c.startsWith("GET /api/trading/orders/?") && c.includes("account=1"))).toBe(true);
  });

  it("names the account of each difference in a check of several accounts", () => {
    const d = { kind: "income", account: "desk-b", key: "COMMISSION", figure: "count", record: "ledger", ours: "1", exchange: "2", delta: "-1" } as const;
    expect(describeDifference(d, true)).toBe("desk-b: COMMISSION rows (ledger rows): 1 here, 2 on the exchange, off by \u22121");
    expect(describeDifference(d)).toBe("COMMISSION rows (ledger rows): 1 here, 2 on the exchange, off by \u22121");
  });
});
