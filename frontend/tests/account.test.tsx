import { describe, expect, it, beforeEach, vi } from "vitest";
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { renderAt } from "./render";
import { HEALTH_OK, fakeApi, json, rlDashboard } from "./fakeApi";

const ME = () => json({ username: "alice", is_staff: false });
const account = (id: number, name: string, is_active = true) => ({
  id, name, venue: "paper", base_url: "http://127.0.0.1:8030", is_active, api_key_hint: "ab…yz", created_at: "2026-01-10T12:00:00Z",
});

function desk(accounts: ReturnType<typeof account>[]) {
  return fakeApi({
    "/api/auth/me/": ME,
    "/api/health/": () => json(HEALTH_OK),
    "/api/accounts/": () => json({ accounts, default: accounts[0]?.id ?? null }),
    "/api/rl-dashboard/": () => json(rlDashboard()),
    "/api/pnl/daily/": () => json({ days: [] }),
  });
}

beforeEach(() => {
  vi.unstubAllGlobals();
  window.localStorage.clear();
});

describe("account picker", () => {
  it("asks the PnL endpoints for the chosen account and keeps the choice", async () => {
    const { calls } = desk([account(1, "desk-a"), account(2, "desk-b"), account(3, "old", false)]);
    renderAt("/");
    const picker = (await screen.findByTestId("account-picker")) as HTMLSelectElement;
    expect([...picker.options].map((o) => o.textContent)).toEqual(["Default (desk-a)", "desk-a", "desk-b", "old (inactive)"]);
    // the default: no account parameter, the API's first active account
    expect(calls.some((c) => c === "GET /api/rl-dashboard/?window=24h")).toBe(true);
    fireEvent.change(picker, { target: { value: "2" } });
    await waitFor(() => expect(calls).toContain("GET /api/rl-dashboard/?window=24h&account=2"));
    expect(calls).toContain("GET /api/pnl/daily/?days=30&account=2");
    expect(window.localStorage.getItem("qt.account")).toBe("2");
    fireEvent.change(picker, { target: { value: "" } });
    expect(window.localStorage.getItem("qt.account")).toBeNull();
  });

  it("is not shown on a desk of one account", async () => {
    const { calls } = desk([account(1, "desk-a")]);
    renderAt("/");
    await waitFor(() => expect(calls).toContain("GET /api/accounts/"));
    await screen.findAllByText(/BTCUSDT/);
    expect(screen.queryByTestId("account-picker")).toBeNull();
  });
});
