import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

/** Which exchange account the pages read: null = "All accounts", the API's default (every active
 * account aggregated). Kept in localStorage, so a desk screen stays on its account across reloads. */
interface AccountChoice {
  account: number | null;
  setAccount: (id: number | null) => void;
}

const STORAGE_KEY = "qt.account";
const AccountContext = createContext<AccountChoice>({ account: null, setAccount: () => {} });

function stored(): number | null {
  const raw = window.localStorage.getItem(STORAGE_KEY);
  const id = raw === null ? NaN : Number(raw);
  return Number.isInteger(id) && id > 0 ? id : null;
}

export function AccountProvider({ children }: { children: ReactNode }) {
  const [account, setState] = useState<number | null>(stored);
  const setAccount = useCallback((id: number | null) => {
    if (id === null) window.localStorage.removeItem(STORAGE_KEY);
    else window.localStorage.setItem(STORAGE_KEY, String(id));
    setState(id);
  }, []);
  const value = useMemo(() => ({ account, setAccount }), [account, setAccount]);
  return <AccountContext.Provider value={value}>{children}</AccountContext.Provider>;
}

export function useAccount(): AccountChoice {
  return useContext(AccountContext);
}

/** `path` asking for `account` (the endpoints' `?account=`); unchanged for all accounts. */
export function withAccount(path: string, account: number | null): string {
  if (account === null) return path;
  return `${path}${path.includes("?") ? "&" : "?"}account=${account}`;
}

/** Whether PnL rows are of more than one account (all accounts aggregated): then each says whose. */
export function manyAccounts(rows: Array<{ account_id: number }>): boolean {
  return new Set(rows.map((r) => r.account_id)).size > 1;
}
