import { NavLink, Outlet } from "react-router-dom";
import { useAuth } from "../hooks/auth";
import { useHealth } from "../hooks/health";
import { useNow } from "../hooks/useApi";
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

export function Layout() {
  const { user, logout } = useAuth();
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
          <span className="muted">{user?.username}</span>
          <button type="button" className="link" onClick={() => logout()}>
            Log out
          </button>
        </div>
      </header>
      <StatusBanner />
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}
