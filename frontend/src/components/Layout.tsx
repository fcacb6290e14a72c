import { useEffect } from "react";
import { NavLink, Outlet } from "react-router-dom";
import type { Accounts } from "../api/types";
import { AccountProvider, useAccount } from "../hooks/account";
import { useAuth } from "../hooks/auth";
import { useHealth } from "../hooks/health";
import { useApi, useNow } from "../hooks/useApi";
import { useFeed, useLiveFeed } from "../hooks/live";
import { POLL_MS } from "../lib/staleness";
import { formatAge } from "../lib/staleness";

const NAV = [
  ["/", "Overview"],
  ["/positions", "Positions"],
  ["/pnl", "PnL history"],
  ["/rl", "RL"],
  ["/audit", "Intents & orders"],
  ["/strategies", "Strategies"],
  ["/health", "Health"],
] as const;

/** The desk-wide alarm: API unreachable, or parts of the stack down. Never hidden. */
export function StatusBanner() {
  const health = useHealth();
  const now = useNow();
  if (health.error) {
    const since = health.fetchedAt ? ` Last contact ${formatAge((now - health.fetchedAt) / 1000)}.` : "";
    return (
      <div className="banner banner-down" role="alert" data-banner="api-down">
        API unreachable: the figures below are NOT current.{since} Retrying every 5 s.
      </div>
    );
  }
  if (health.data && health.data.down.length) {
    return (
      <div className="banner banner-down" role="alert" data-banner="desk-down" data-down={health.data.down.join(",")}>
        Desk degraded: <strong>{health.data.down.join(", ")}</strong> down. Figures fed by these parts are not being
        refreshed.
      </div>
    );
  }
  if (health.data) {
    return (
      <div className="banner banner-ok" data-banner="ok">
        All systems up · checked {formatAge((now - (health.fetchedAt ?? now)) / 1000)}
      </div>
    );
  }
  return null;
}

/** Whether the figures are pushed (the live feed is up) or polled (it is down), and since when. */
export function LiveBadge() {
  const feed = useFeed();
  const now = useNow();
  if (feed.state === "up") {
    const last = feed.lastEventAt === null ? "" : ` · last event ${formatAge((now - feed.lastEventAt) / 1000)}`;
    return (
      <span className="live live-up" role="status" data-live="up">
        Live{last}
      </span>
    );
  }
  if (feed.state === "down") {
    return (
      <span className="live live-down" role="status" data-live="down">
        Live feed down ({formatAge((now - feed.since) / 1000)}): polling every {POLL_MS / 1000} s
      </span>
    );
  }
  return (
    <span className="live muted" role="status" data-live="connecting">
      Live feed connecting…
    </span>
  );
}

/** The account the pages read, when the desk has more than one (docs/frontend.md, "Accounts"):
 * "All accounts" (every active one aggregated) by default. */
function AccountPicker() {
  const { account, setAccount } = useAccount();
  const accounts = useApi<Accounts>("/api/accounts/", { intervalMs: 60_000 });
  const rows = accounts.data?.accounts;
  // A stored choice the desk no longer lists (deleted, another desk's) would ask the API for an
  // unknown account on every card: back to all accounts.
  const gone = rows !== undefined && account !== null && !rows.some((a) => a.id === account);
  useEffect(() => {
    if (gone) setAccount(null);
  }, [gone, setAccount]);
  if (!rows || rows.length < 2) return null;
  return (
    <select
      aria-label="Account"
      data-testid="account-picker"
      value={account === null || gone ? "" : String(account)}
      onChange={(e) => setAccount(e.target.value === "" ? null : Number(e.target.value))}
    >
      <option value="">All accounts</option>
      {rows.map((a) => (
        <option key={a.id} value={String(a.id)}>
          {a.name}
          {a.is_active ? "" : " (inactive)"}
        </option>
      ))}
    </select>
  );
}

export function Layout() {
  return (
    <AccountProvider>
      <Shell />
    </AccountProvider>
  );
}

function Shell() {
  const { user, logout } = useAuth();
  useLiveFeed();
  return (
    <div className="shell">
      <header className="topbar">
        <div className="brand">Quantum Trader</div>
        <nav className="nav">
          {NAV.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === "/"} className={({ isActive }) => (isActive ? "active" : "")}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="who">
          <AccountPicker />
          <span className="muted">{user?.username}</span>
          <button type="button" className="link" onClick={() => logout()}>
            Log out
          </button>
        </div>
      </header>
      <StatusBanner />
      <div className="livebar">
        <LiveBadge />
      </div>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
