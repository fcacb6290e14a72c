/**
 * Same-origin JSON client with Django session auth. 401/403 means "no session": every caller's
 * error goes to the auth layer, which sends the trader to the login page. 404 means the endpoint
 * does not exist on this desk yet (future trading / model APIs): pages show an explained empty
 * state, never invented data.
 */

export class ApiError extends Error {
  constructor(
    message: string,
    public status: number,
    public body: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export class AuthRequired extends ApiError {
  constructor(status: number) {
    super("login required", status);
    this.name = "AuthRequired";
  }
}

export class NotAvailable extends ApiError {
  constructor(public path: string) {
    super(`${path} is not available on this desk yet`, 404);
    this.name = "NotAvailable";
  }
}

export class Unreachable extends ApiError {
  constructor(message: string) {
    super(message, 0);
    this.name = "Unreachable";
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** The auth layer subscribes here; any 401/403 from any call triggers a redirect to login. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function readCookie(name: string): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [k, ...rest] = part.trim().split("=");
    if (k === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

async function parseBody(response: Response): Promise<unknown> {
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

export interface GetOptions {
  /** statuses whose JSON body is a valid answer (the health endpoint's 503) */
  acceptStatuses?: number[];
  signal?: AbortSignal;
}

export async function apiGet<T>(path: string, opts: GetOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: opts.signal,
    });
  } catch (exc) {
    if ((exc as Error)?.name === "AbortError") throw exc;
    throw new Unreachable(`API unreachable: ${(exc as Error)?.message ?? exc}`);
  }
  return handle<T>(path, response, opts.acceptStatuses ?? []);
}

async function handle<T>(path: string, response: Response, accept: number[]): Promise<T> {
  if (response.status === 401 || response.status === 403) {
    unauthorizedListeners.forEach((l) => l());
    throw new AuthRequired(response.status);
  }
  if (response.status === 404) throw new NotAvailable(path);
  const body = await parseBody(response);
  if (response.ok || (accept.includes(response.status) && body !== null)) return body as T;
  if (response.status >= 500) {
    throw new Unreachable(`API error ${response.status} on ${path}`);
  }
  throw new ApiError(errorMessage(body) || `HTTP ${response.status} on ${path}`, response.status, body);
}

/** The API's own words for a refusal: DRF's `{detail}`, or its field errors (a 400 from an input
 * serializer names the field: `{"side": ["\"X\" is not one of BUY, SELL."]}` -> `side: "X" is …`). */
export function errorMessage(body: unknown): string {
  if (!body || typeof body !== "object" || Array.isArray(body)) return "";
  const obj = body as Record<string, unknown>;
  if ("detail" in obj) return String(obj.detail);
  return Object.entries(obj)
    .map(([field, msgs]) => `${field}: ${Array.isArray(msgs) ? msgs.map(String).join(" ") : String(msgs)}`)
    .join("; ");
}

async function csrfToken(): Promise<string> {
  const response = await fetch("/api/auth/csrf/", {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  const body = (await parseBody(response)) as { csrf_token?: string } | null;
  return readCookie("csrftoken") ?? body?.csrf_token ?? "";
}

/** POST JSON with a fresh CSRF token (Django rotates it at login). Auth errors are returned to
 * the caller, not broadcast: a failed login is a 400/403 the login form shows. */
export async function apiPost<T>(path: string, data: unknown, broadcastAuth = false): Promise<T> {
  let response: Response;
  try {
    const token = await csrfToken();
    response = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": token,
      },
      body: JSON.stringify(data ?? {}),
    });
  } catch (exc) {
    throw new Unreachable(`API unreachable: ${(exc as Error)?.message ?? exc}`);
  }
  if (!broadcastAuth && (response.status === 401 || response.status === 403)) {
    const body = await parseBody(response);
    throw new ApiError(errorMessage(body) || `HTTP ${response.status}`, response.status, body);
  }
  if (response.status === 204) return null as T;
  return handle<T>(path, response, []);
}
