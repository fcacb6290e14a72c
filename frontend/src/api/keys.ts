/**
 * TanStack Query keys, one per API resource, derived from the path the dashboard fetches:
 * `/api/trading/intents/?side=BUY&symbol=ETHUSDT` -> ["api", "trading", "intents", {side, symbol}].
 * The segments make the keys hierarchical, so one call reaches every cached answer of a resource
 * whatever its filters (`invalidateQueries({queryKey: apiKey("/api/trading/intents/")})`); the
 * query's parameters are the last element, an object (TanStack hashes it with sorted keys, so the
 * order of the parameters in the URL does not make two entries of one answer).
 */
export type ApiKey = readonly (string | Record<string, string>)[];

export function apiKey(path: string): ApiKey {
  const [pathname, search = ""] = path.split("?", 2);
  const segments = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(search));
  return Object.keys(params).length ? [...segments, params] : segments;
}

/** The resources the live feed (part of docs/frontend.md, "Live, stale, down") refreshes. */
export const KEYS = {
  health: apiKey("/api/health/"),
  rlDashboard: apiKey("/api/rl-dashboard/"),
  positions: apiKey("/api/trading/positions/"),
  intents: apiKey("/api/trading/intents/"),
  orders: apiKey("/api/trading/orders/"),
  symbols: apiKey("/api/trading/symbols/"),
} as const;
