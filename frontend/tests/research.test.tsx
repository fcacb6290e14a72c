import { beforeEach, describe, expect, it, vi } from "vitest";
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { HEALTH_OK, fakeApi, json, rlDashboard, type Handler } from "./fakeApi";
import { renderAt } from "./render";

const me = (is_staff: boolean) => () => json({ username: is_staff ? "boss" : "alice", is_staff });

beforeEach(() => {
  vi.unstubAllGlobals();
  document.cookie = "csrftoken=tok123";
});

const training = (over: Record<string, unknown>) => ({
  id: 12, kind: "logreg", status: "pending", progress: 0, stage: "", model_version: null, error: "",
  created_at: "2026-01-10T12:00:00Z", started_at: null, finished_at: null, ...over,
});

const evolution = (over: Record<string, unknown>) => ({
  id: 7, family: "mean_revert", symbol: "ETHUSDT", status: "pending", progress: 0, generation: 0, generations: 20, population: 24,
  best_score: null, best_params: {}, holdout_score: null, history: [], search_bars: 0, holdout_bars: 0, result: null, error: "",
  created_at: "2026-01-10T12:00:00Z", finished_at: null, ...over,
});

const rlPage = (over: Record<string, Handler>): Record<string, Handler> => ({
  "/api/health/": () => json(HEALTH_OK),
  "/api/auth/csrf/": () => json({ csrf_token: "tok123" }),
  "/api/rl-dashboard/": () => json(rlDashboard({ symbols: [], symbols_tracked: 0 })),
  ...over,
});

const strategiesPage = (over: Record<string, Handler>): Record<string, Handler> => ({
  "/api/health/": () => json(HEALTH_OK),
  "/api/auth/csrf/": () => json({ csrf_token: "tok123" }),
  "/api/strategy/versions/": () => json([]),
  "/api/regimes/": () => json({ latest: [{ symbol: "BTCUSDT", regime: "trend", as_of_ms: 1, stats: {}, created_at: "2026-01-10T10:00:00Z" }], history: [] }),
  ...over,
});

describe("start training (staff)", () => {
  it("posts only after Confirm, then the new run's progress bar moves with the polls", { timeout: 20000 }, async () => {
    const posts: unknown[] = [];
    let runs: unknown[] = [];
    let gets = 0;
    const { calls } = fakeApi(
      rlPage({
        "/api/auth/me/": me(true),
        "/api/models/train/": (init) => {
          posts.push(JSON.parse(String(init!.body)));
          runs = [training({})];
          return json(training({}), 201);
        },
        "/api/models/": () => {
          // once started, every poll finds the run further along
          if (runs.length) runs = [training({ status: "running", progress: Math.min(100, 40 * gets++), stage: "fitting" })];
          return json({ models: [], training_runs: runs });
        },
      }),
    );
    const { container } = renderAt("/rl");
    const start = await screen.findByTestId("start-training");
    fireEvent.click(within(start).getByRole("button", { name: "Start training" }));
    const dialog = screen.getByRole("dialog", { name: "confirm start training" });
    fireEvent.change(within(dialog).getByLabelText("Model kind"), { target: { value: "logreg" } });
    expect(dialog.textContent).toContain("Train a new logreg model now");
    expect(calls.filter((c) => c.startsWith("POST"))).toEqual([]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(container.querySelector("[data-started]")?.textContent).toBe("Started run #12 (pending); its progress shows above."));
    expect(posts).toEqual([{ kind: "logreg" }]);
    // refreshed at once, then polled fast while the run is active: the bar moves without a reload
    const bar = () => screen.getByRole("progressbar", { name: "training 12 progress" }).getAttribute("aria-valuenow");
    await waitFor(() => expect(container.querySelector('[data-training="12"]')).not.toBeNull());
    // 0 -> 40 -> 80 -> 100 takes more answers than the refresh and the switch to fast polling
    // give: the timer keeps polling (every 2 s while active)
    await waitFor(() => expect(bar()).toBe("100"), { timeout: 7000 });
    expect(calls.filter((c) => c === "GET /api/models/").length).toBeGreaterThanOrEqual(5);
  });

  it("is not offered to a non-staff user", async () => {
    fakeApi(rlPage({ "/api/auth/me/": me(false), "/api/models/": () => json({ models: [], training_runs: [] }) }));
    renderAt("/rl");
    await screen.findByText("No model trained yet");
    expect(screen.queryByTestId("start-training")).toBeNull();
    expect(screen.queryByRole("button", { name: /start/i })).toBeNull();
  });
});

describe("start evolution run (staff)", () => {
  it("sends family, symbol and seed after Confirm and shows the pending run with its bar", async () => {
    const posts: Record<string, unknown>[] = [];
    let runs: unknown[] = [];
    fakeApi(
      strategiesPage({
        "/api/auth/me/": me(true),
        "/api/strategy/runs/": (init) => {
          if (init?.method === "POST") {
            const body = JSON.parse(String(init.body));
            posts.push(body);
            if (body.symbol !== "ETHUSDT") return json({ symbol: ["not a traded symbol: ['BTCUSDT', 'ETHUSDT']"] }, 400);
            runs = [evolution({})];
            return json(evolution({}), 201);
          }
          return json(runs);
        },
      }),
    );
    const { container } = renderAt("/strategies");
    const start = await screen.findByTestId("start-evolution");
    fireEvent.click(within(start).getByRole("button", { name: "Start evolution run" }));
    const dialog = screen.getByRole("dialog", { name: "confirm start evolution run" });
    // the symbol starts as the first traded symbol the regimes card knows
    await waitFor(() => expect((within(dialog).getByLabelText("Symbol") as HTMLInputElement).value).toBe("BTCUSDT"));
    fireEvent.change(within(dialog).getByLabelText("Family"), { target: { value: "mean_revert" } });
    fireEvent.change(within(dialog).getByLabelText("Symbol"), { target: { value: "dogeusdt" } });
    fireEvent.change(within(dialog).getByLabelText("Seed"), { target: { value: "42" } });
    expect(posts).toEqual([]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    // refused: the API's words, the step stays open to fix the choice
    expect((await screen.findByRole("alert")).textContent).toBe("symbol: not a traded symbol: ['BTCUSDT', 'ETHUSDT']");
    fireEvent.change(within(dialog).getByLabelText("Symbol"), { target: { value: "ethusdt" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Confirm" }));
    await waitFor(() => expect(container.querySelector("[data-started]")?.getAttribute("data-started")).toBe("7"));
    expect(posts).toEqual([
      { family: "mean_revert", symbol: "DOGEUSDT", seed: 42 },
      { family: "mean_revert", symbol: "ETHUSDT", seed: 42 },
    ]);
    await waitFor(() => expect(container.querySelector('[data-run="7"]')).not.toBeNull());
    expect(screen.getByRole("progressbar", { name: "run 7 progress" }).getAttribute("aria-valuenow")).toBe("0");
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("is not offered to a non-staff user", async () => {
    fakeApi(strategiesPage({ "/api/auth/me/": me(false), "/api/strategy/runs/": () => json([]) }));
    renderAt("/strategies");
    await screen.findByText("No evolution runs yet");
    expect(screen.queryByTestId("start-evolution")).toBeNull();
  });
});
