import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from "react";
import { apiGet, apiPost, AuthRequired, onUnauthorized } from "../api/client";
import type { Me } from "../api/types";

export type AuthStatus = "checking" | "in" | "out";

interface AuthValue {
  status: AuthStatus;
  user: Me | null;
  /** set when the session check itself failed (API unreachable) */
  error: string | null;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthStatus>("checking");
  const [user, setUser] = useState<Me | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Without a session nothing cached may stay: the next user must not see this one's answers.
  const queryClient = useQueryClient();

  const check = useCallback(async () => {
    try {
      const me = await apiGet<Me>("/api/auth/me/");
      setUser(me);
      setStatus("in");
      setError(null);
    } catch (exc) {
      setUser(null);
      setStatus("out");
      if (!(exc instanceof AuthRequired)) setError((exc as Error).message);
    }
  }, []);

  useEffect(() => {
    check();
    return onUnauthorized(() => {
      setUser(null);
      setStatus("out");
      queryClient.clear();
    });
  }, [check, queryClient]);

  const login = useCallback(async (username: string, password: string) => {
    const me = await apiPost<Me>("/api/auth/login/", { username, password });
    setUser(me);
    setStatus("in");
    setError(null);
  }, []);

  const logout = useCallback(async () => {
    try {
      await apiPost("/api/auth/logout/", {});
    } finally {
      setUser(null);
      setStatus("out");
      queryClient.clear();
    }
  }, [queryClient]);

  return (
    <AuthContext.Provider value={{ status, user, error, login, logout }}>{children}</AuthContext.Provider>
  );
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
