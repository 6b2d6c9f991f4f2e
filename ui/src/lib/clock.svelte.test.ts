import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { listNow } from "./clock.svelte";

describe("the account list's clock", () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_900_000_000_000 }));
  afterEach(() => vi.useRealTimers());

  /** Counts how often a list reading `listNow(expiries)` would re-render over `ms`. */
  function rendersOver(expiries: (number | null)[], ms: number): number {
    let renders = 0;
    const stop = $effect.root(() => {
      $effect(() => {
        listNow(expiries);
        renders++;
      });
    });
    flushSync();
    for (let t = 0; t < ms; t += 1000) {
      vi.advanceTimersByTime(1000);
      flushSync();
    }
    stop();
    return renders - 1;
  }

  it("re-renders twice a minute, not every second, while nothing is about to expire", () => {
    const now = Date.now();
    expect(rendersOver([now + 3_600_000, now + 7_200_000, null], 60_000)).toBe(2);
  });

  it("ticks every second once an expiry is within two minutes, so its seconds count down", () => {
    const now = Date.now();
    expect(rendersOver([now + 3_600_000, now + 90_000], 10_000)).toBeGreaterThanOrEqual(10);
  });
});
