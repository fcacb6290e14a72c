import type { Health } from "../api/types";
import { useApi, type PollState } from "./useApi";

const HEALTH_STATUSES = { acceptStatuses: [503] };

/** The desk's health, one query for the whole app: the banner, the overview and the health page
 * observe the same cache entry (key ["api", "health"]), so they share one poll. The endpoint
 * answers 503 with its JSON body when a part is down: that body is the answer. */
export function useHealth(): PollState<Health> {
  return useApi<Health>("/api/health/", HEALTH_STATUSES);
}

/** Parts whose failure means the PnL figures are not being refreshed. */
export const PNL_DEPENDENCIES = ["exchange", "beat", "queue:pnl", "redis", "database"];

export function pnlBlockers(health: Health | null): string[] {
  if (!health) return [];
  return health.down.filter((name) => PNL_DEPENDENCIES.includes(name));
}
