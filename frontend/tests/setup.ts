import { afterEach } from "vitest";
import { cleanup, configure } from "@testing-library/react";

afterEach(() => cleanup());

// Pages are lazily loaded chunks: on a busy CI machine their first import takes more than
// testing-library's default 1 s for findBy*/waitFor, which then fails a correct page.
configure({ asyncUtilTimeout: 10_000 });

// recharts' ResponsiveContainer needs ResizeObserver, which jsdom lacks.
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
(globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver ??= ResizeObserverStub;
