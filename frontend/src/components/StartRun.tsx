import { useState, type ReactNode } from "react";
import { apiPost } from "../api/client";
import { useAuth } from "../hooks/auth";

/** While a run is pending or running its card polls this often, so the progress bar moves. */
export const ACTIVE_POLL_MS = 2000;

export function isActive(run: { status: string }): boolean {
  return run.status === "pending" || run.status === "running";
}

/** A staff-only button that starts research work (a training or an evolution run) through a
 * confirm step, like the desk controls: the choices are made in the step, only "Confirm" posts
 * `body` to `endpoint` (201 with the run), then the card refreshes. The API refuses non-staff
 * (403) and bad choices (400, naming the field); both are shown here. */
export function StartRun({
  label,
  endpoint,
  question,
  body,
  fields,
  onStarted,
  testId,
}: {
  label: string;
  endpoint: string;
  /** what Confirm will do, in words */
  question: string;
  body: () => Record<string, unknown>;
  /** the choices, shown in the confirm step */
  fields?: ReactNode;
  onStarted: () => void;
  testId: string;
}) {
  const { user } = useAuth();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState<{ id: number; status: string } | null>(null);
  if (!user?.is_staff) return null;

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const run = await apiPost<{ id: number; status: string }>(endpoint, body());
      setStarted(run);
      setOpen(false);
      onStarted();
    } catch (exc) {
      setError((exc as Error).message || "The API refused to start the run");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid={testId}>
      <div className="controls">
        <button
          type="button"
          disabled={busy || open}
          onClick={() => {
            setOpen(true);
            setError(null);
            setStarted(null);
          }}
        >
          {label}
        </button>
      </div>
      {open && (
        <div className="confirm" role="dialog" aria-label={`confirm ${label.toLowerCase()}`}>
          <strong>{question}?</strong>
          {fields}
          <div className="controls">
            <button type="button" className="primary" disabled={busy} onClick={confirm}>
              {busy ? "Sending…" : "Confirm"}
            </button>
            <button type="button" disabled={busy} onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {started && (
        <div className="muted small" role="status" data-started={started.id}>
          Started run #{started.id} ({started.status}); its progress shows above.
        </div>
      )}
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
