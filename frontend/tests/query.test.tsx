/** The data layer (TanStack Query, src/hooks/useApi.ts, src/api/keys.ts): one cache entry per
 * resource and query, shared by every card that shows it, and emptied with the session. */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { HEALTH_OK, INTENTS, ORDERS, fakeApi, json, rlDashboard } from "./fakeApi";
import { renderAt } from "./render";
import { apiKey, KEYS } from "../src/api/keys";
import { makeQueryClient } from "../src/hooks/useApi";

const me = () => json({ username: "alice", is_staff: false });

beforeEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "csrftoken=tok123";
});

describe("query keys", () => {
  it("are the resource's path segments, then its query as an object", () => {
    expect(apiKey("/api/health/")).toEqual(["api", "health"]);
    expect(apiKey("/api/trading/intents/?symbol=ETHUSDT&limit=200&side=SELL")).toEqual([
      "api", "trading", "intents", { symbol: "ETHUSDT", limit: "200", side: "SELL" },
    ]);
    expect(apiKey("/api/trading/symbols/BTC%2FX/chart/")).toEqual(["api", "trading", "symbols", "BTC/X", "chart"]);
    // the order of the parameters does not make a second entry of one answer
    const client = makeQueryClient();
    client.setQueryData(apiKey("/api/trading/orders/?side=BUY&limit=200"), "rows");
    expect(client.getQueryData(apiKey("/api/trading/orders/?limit=200&side=BUY"))).toBe("rows");
  });
});

/** The overview on its own query client, shown (the health banner up); the client to read. */
async function overviewShown() {
  const client = makeQueryClient();
  const { calls } = fakeApi({
    "/api/auth/me/": me,
    "/api/auth/csrf/": () => json({ csrf_token: "tok123" }),
    "/api/auth/logout/": () => new Response(null, { status: 204 }),
    "/api/health/": () => json(HEALTH_OK),
    "/api/rl-dashboard/": () => json(rlDashboard()),
    "/api/pnl/daily/": () => json({ days: [] }),
  });
  const { container } = renderAt("/", client);
  await waitFor(() => expect(container.querySelector('[data-banner="ok"]')).not.toBeNull());
  expect(client.getQueryData(KEYS.health)).toEqual(HEALTH_OK);
  return { client, calls };
}

describe("one cache for the app", () => {
  it("one health query feeds the banner, the overview and the health page", async () => {
    const { client, calls } = await overviewShown();
    expect(client.getQueryCache().find({ queryKey: KEYS.health })!.getObserversCount()).toBeGreaterThanOrEqual(2);
    // one entry, one fetch for all of them (a card polling on its own would have made its own)
    expect(calls.filter((c) => c === "GET /api/health/").length).toBeLessThanOrEqual(2);
    // the health page shows the cached answer at once: no fetch of its own, no loading state
    fireEvent.click(screen.getByRole("link", { name: "Health" }));
    expect(within(screen.getByTestId("where")).getByText("/health")).toBeTruthy();
    expect(screen.getAllByText("w1@host").length).toBeGreaterThan(0);
  });

  it("shows an earlier filter's cached rows at once when the trader goes back to it, with their age", async () => {
    // the second answer for the unfiltered list never comes: only the cache can show its rows
    let unfiltered = 0;
    fakeApi({
      "/api/auth/me/": me,
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": (_i, url) => {
        const symbol = new URL(url!, "http://x").searchParams.get("symbol");
        if (!symbol && ++unfiltered > 1) return new Promise<Response>(() => {});
        const rows = INTENTS.filter((r) => !symbol || r.symbol === symbol);
        return json({ count: rows.length, results: rows });
      },
      "/api/trading/orders/": () => json({ count: 2, results: ORDERS }),
    });
    const { container } = renderAt("/audit");
    const card = await screen.findByTestId("audit-intents");
    await waitFor(() => expect(card.querySelectorAll("tr[data-intent]").length).toBe(2));
    fireEvent.change(screen.getByLabelText("Symbol"), { target: { value: "ethusdt" } });
    await waitFor(() => expect(card.querySelector("[data-count]")?.getAttribute("data-query")).toBe("limit=200&symbol=ETHUSDT"));
    expect(card.querySelectorAll("tr[data-intent]").length).toBe(1);
    fireEvent.change(screen.getByLabelText("Symbol"), { target: { value: "" } });
    await waitFor(() => expect(card.querySelector("[data-count]")?.getAttribute("data-query")).toBe("limit=200"));
    expect([...card.querySelectorAll("tr[data-intent]")].map((r) => r.getAttribute("data-intent"))).toEqual(["2", "1"]);
    expect(container.textContent).toMatch(/updated (just now|\d+ s ago)/);
  });

  it("refetches every filter of a resource when its key is invalidated", async () => {
    const client = makeQueryClient();
    const { calls } = fakeApi({
      "/api/auth/me/": me,
      "/api/health/": () => json(HEALTH_OK),
      "/api/trading/intents/": () => json({ count: 2, results: INTENTS }),
      "/api/trading/orders/": () => json({ count: 2, results: ORDERS }),
    });
    const { container } = renderAt("/audit", client);
    await waitFor(() => expect(container.querySelectorAll("tr[data-intent]").length).toBe(2));
    const before = calls.filter((c) => c.startsWith("GET /api/trading/intents/")).length;
    await act(() => client.invalidateQueries({ queryKey: KEYS.intents }));
    expect(calls.filter((c) => c.startsWith("GET /api/trading/intents/")).length).toBe(before + 1);
    expect(calls.filter((c) => c.startsWith("GET /api/trading/orders/")).length).toBe(1);
  });

  it("forgets every answer when the trader logs out", async () => {
    const { client } = await overviewShown();
    fireEvent.click(screen.getByRole("button", { name: "Log out" }));
    await waitFor(() => expect(screen.getByTestId("where").textContent).toMatch(/^\/login/));
    expect(client.getQueryData(KEYS.health)).toBeUndefined();
    expect(client.getQueryCache().getAll().filter((q) => q.state.data !== undefined)).toEqual([]);
  });
});
