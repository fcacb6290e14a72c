import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { lazy, Suspense, type ReactNode } from "react";
import { AuthProvider, useAuth } from "./hooks/auth";
import { HealthProvider } from "./hooks/health";
import { Layout } from "./components/Layout";
import { LoginPage } from "./pages/Login";
import { OverviewPage } from "./pages/Overview";
import { PositionsPage } from "./pages/Positions";
import { AuditPage } from "./pages/Audit";
import { StrategiesPage } from "./pages/Strategies";
import { HealthPage } from "./pages/Health";

// The chart pages (recharts) load on first visit: the overview a trader opens first stays light.
const PnlPage = lazy(() => import("./pages/Pnl").then((m) => ({ default: m.PnlPage })));
const RlPage = lazy(() => import("./pages/Rl").then((m) => ({ default: m.RlPage })));

function Loading() {
  return <div className="boot">Loading…</div>;
}

/** No data without a session: every page but /login needs one; without it, go to login. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { status } = useAuth();
  const location = useLocation();
  if (status === "checking") return <div className="boot">Checking session…</div>;
  if (status === "out") {
    const next = location.pathname + location.search;
    return <Navigate to={`/login${next && next !== "/" ? `?next=${encodeURIComponent(next)}` : ""}`} replace />;
  }
  return <>{children}</>;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireAuth>
            <HealthProvider>
              <Layout />
            </HealthProvider>
          </RequireAuth>
        }
      >
        <Route index element={<OverviewPage />} />
        <Route path="positions" element={<PositionsPage />} />
        <Route path="pnl" element={<Suspense fallback={<Loading />}><PnlPage /></Suspense>} />
        <Route path="rl" element={<Suspense fallback={<Loading />}><RlPage /></Suspense>} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="strategies" element={<StrategiesPage />} />
        <Route path="health" element={<HealthPage />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

export function App() {
  return (
    <AuthProvider>
      <AppRoutes />
    </AuthProvider>
  );
}
