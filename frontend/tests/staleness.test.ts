import { describe, expect, it } from "vitest";
import { dataAgeSeconds, formatAge, freshness, withBlockers } from "../src/lib/staleness";

const NOW = Date.parse("2026-01-10T12:00:00Z");

describe("freshness", () => {
  it("is loading before any answer and an error when the first fetch fails", () => {
    expect(freshness({ fetchedAt: null, failed: false, now: NOW }).state).toBe("loading");
    const f = freshness({ fetchedAt: null, failed: true, now: NOW });
    expect(f.state).toBe("error");
    expect(f.current).toBe(false);
  });

  it("adds the server's poll age to the time since the fetch", () => {
    const input = { fetchedAt: NOW - 3000, failed: false, now: NOW, sourceAgeSeconds: 7 };
    expect(dataAgeSeconds(input)).toBe(10);
    const f = freshness(input);
    expect(f.state).toBe("live");
    expect(f.current).toBe(true);
  });

  it("falls back to as_of when no poll age is given", () => {
    const asOf = new Date(NOW - 20_000).toISOString();
    expect(dataAgeSeconds({ fetchedAt: NOW - 1000, failed: false, now: NOW, asOf })).toBe(20);
    expect(dataAgeSeconds({ fetchedAt: NOW - 1000, failed: false, now: NOW, asOf: NOW - 5000 })).toBe(5);
  });

  it("is stale when the figures are older than the limit", () => {
    const f = freshness({ fetchedAt: NOW - 1000, failed: false, now: NOW, sourceAgeSeconds: 120 });
    expect(f.state).toBe("stale");
    expect(f.current).toBe(false);
    expect(f.reason).toContain("2 min ago");
  });

  it("is stale when the server says so, whatever the age", () => {
    const f = freshness({ fetchedAt: NOW, failed: false, now: NOW, sourceAgeSeconds: 1, serverStale: true });
    expect(f.state).toBe("stale");
  });

  it("is stale when the browser has not had a fresh answer for a while", () => {
    expect(freshness({ fetchedAt: NOW - 60_000, failed: false, now: NOW }).state).toBe("stale");
  });

  it("is offline, never current, when the last fetch failed even with recent data", () => {
    const f = freshness({ fetchedAt: NOW - 2000, failed: true, now: NOW, sourceAgeSeconds: 1 });
    expect(f.state).toBe("offline");
    expect(f.current).toBe(false);
    expect(f.reason).toMatch(/NOT current/);
  });

  it("a part reported down makes live figures not current", () => {
    const live = freshness({ fetchedAt: NOW, failed: false, now: NOW, sourceAgeSeconds: 2 });
    expect(withBlockers(live, []).state).toBe("live");
    const blocked = withBlockers(live, ["exchange", "queue:pnl"]);
    expect(blocked.state).toBe("stale");
    expect(blocked.current).toBe(false);
    expect(blocked.reason).toContain("exchange, queue:pnl down");
  });
});

describe("formatAge", () => {
  it.each([
    [0.2, "just now"],
    [12.7, "12 s ago"],
    [180, "3 min ago"],
    [3600, "1 h ago"],
    [3900, "1 h 5 min ago"],
    [3 * 86400, "3 d ago"],
    [null, "an unknown time ago"],
  ])("%s -> %s", (s, text) => {
    expect(formatAge(s)).toBe(text);
  });
});
