// Shared clocks for live times: reading `clock.now` (every second) or `slowClock.now` (every 30 s)
// in a template re-renders it on each tick, and only while something on screen reads it.
import { createSubscriber } from "svelte/reactivity";

export class Clock {
  #subscribe;

  constructor(periodMs: number) {
    this.#subscribe = createSubscriber((update) => {
      const timer = setInterval(update, periodMs);
      return () => clearInterval(timer);
    });
  }

  /** Unix milliseconds; ticks only while something on screen reads it. */
  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

/** Countdowns that show seconds (the selected account, a sign-in in progress). */
export const clock = new Clock(1000);

/** Times shown in minutes or coarser (the account list while nothing is about to expire). */
export const slowClock = new Clock(30_000);

/** Within this of expiring, a list row shows seconds and needs the one-second clock. */
export const SECONDS_SHOWN_WITHIN_MS = 2 * 60_000;

/**
 * The time for the account list: every 30 s while no expiry is close — the list's words change
 * by the minute, and re-rendering it every second was most of Signet's idle CPU — and every
 * second once one is within two minutes (read through the slow clock, so the switch happens).
 */
export function listNow(expiries: (number | null)[]): number {
  const coarse = slowClock.now;
  const close = expiries.some((at) => at !== null && Math.abs(at - coarse) < SECONDS_SHOWN_WITHIN_MS + 30_000);
  return close ? clock.now : coarse;
}
