// A shared one-second clock: reading `clock.now` in a template re-renders it every second.
import { createSubscriber } from "svelte/reactivity";

const TICK_MS = 1000;

class Clock {
  #subscribe = createSubscriber((update) => {
    const timer = setInterval(update, TICK_MS);
    return () => clearInterval(timer);
  });

  /** Unix milliseconds; ticks only while something on screen reads it. */
  get now(): number {
    this.#subscribe();
    return Date.now();
  }
}

export const clock = new Clock();
