import { Navigate, Route, Routes, useLocation } from "react-router-dom";
import { lazy, Suspense, useState, type ReactNode } from "react";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { AuthProvider, useAuth } from "./hooks/auth";
import { makeQueryClient } from "./hooks/useApi";
import { Layout } from "./components/Layout";
import { LoginPage } from "./pages/Login";
import { OverviewPage } from "./pages/Overview";
import { PositionsPage } from "./pages/Positions";
import { HealthPage } from "./pages/Health";

// The chart pages (recharts) load on first visit: the overview a trader opens first stays light.
const PnlPage = lazy(() => import("./pages/Pnl").then((m) => ({ default: m.PnlPage })));
const RlPage = lazy(() => import("./pages/Rl").then((m) => ({ default: m.RlPage })));
// so do the audit trail and strategies pages: not needed for the overview's first paint.
const AuditPage = lazy(() => import("./pages/Audit").then((m) => ({ default: m.AuditPage })));
const StrategiesPage = lazy(() => import("./pages/Strategies").then((m) => ({ default: m.StrategiesPage })));
// and a symbol's page (its price chart loads the charting library)
const SymbolPage = lazy(() => import("./pages/Symbol").then((m) => ({ default: m.SymbolPage })));

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
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<OverviewPage />} />
        <Route path="positions" element={<PositionsPage />} />
        <Route path="pnl" element={<Suspense fallback={<Loading />}><PnlPage /></Suspense>} />
        <Route path="rl" element={<Suspense fallback={<Loading />}><RlPage /></Suspense>} />
        <Route path="audit" element={<Suspense fallback={<Loading />}><AuditPage /></Suspense>} />
        <Route path="strategies" element={<Suspense fallback={<Loading />}><StrategiesPage /></Suspense>} />
        <Route path="symbols/:symbol" element={<Suspense fallback={<Loading />}><SymbolPage /></Suspense>} />
        <Route path="health" element={<HealthPage />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Route>
    </Routes>
  );
}

/** The query cache lives as long as the app (a test passes its own client to read it). */
export function App({ queryClient }: { queryClient?: QueryClient }) {
  const [client] = useState(() => queryClient ?? makeQueryClient());
  return (
    <QueryClientProvider client={client}>
      <AuthProvider>
        <AppRoutes />
      </AuthProvider>
    </QueryClientProvider>
  );
}
