import { render } from "@testing-library/react";
import type { QueryClient } from "@tanstack/react-query";
import { MemoryRouter, useLocation } from "react-router-dom";
import { App } from "../src/App";

function Where() {
  const loc = useLocation();
  return <div data-testid="where">{loc.pathname + loc.search}</div>;
}

/** The app at `path`, with its own query cache (or `queryClient`, for a test that reads it). */
export function renderAt(path: string, queryClient?: QueryClient) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <App queryClient={queryClient} />
      <Where />
    </MemoryRouter>,
  );
}
