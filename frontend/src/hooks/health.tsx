import { createContext, useContext, type ReactNode } from "react";
import { apiGet } from "../api/client";
import type { Health } from "../api/types";
import { usePoll, type PollState } from "./usePoll";

const HealthContext = createContext<PollState<Health> | null>(null);

/** One health poll for the whole app: the banner, the overview and the health page share it.
 * The endpoint answers 503 with its JSON body when a part is down: that body is the answer. */
export function HealthProvider({ children }: { children: ReactNode }) {
  const poll = usePoll<Health>((signal) => apiGet<Health>("/api/health/", { acceptStatuses: [503], signal }), []);
  return <HealthContext.Provider value={poll}>{children}</HealthContext.Provider>;
}

export function useHealth(): PollState<Health> {
  const value = useContext(HealthContext);
  if (!value) throw new Error("useHealth outside HealthProvider");
  return value;
}

/** Parts whose failure means the PnL figures are not being refreshed. */
export const PNL_DEPENDENCIES = ["exchange", "beat", "queue:pnl", "redis", "database"];

export function pnlBlockers(health: Health | null): string[] {
  if (!health) return [];
  return health.down.filter((name) => PNL_DEPENDENCIES.includes(name));
}
