// The app's code, loaded by main.ts: mounts the window, replacing the first frame drawn before it.
import { mount } from "svelte";
import App from "./App.svelte";
import type { FirstScreen } from "./lib/types";

/** Mounts the app into `target` with the first screen; `drawn` (the frame main.ts drew, if any)
 * goes in the same task, so no frame shows both or neither. */
export function start(target: HTMLElement, first: FirstScreen | Promise<FirstScreen>, drawn: HTMLElement | null): void {
  mount(App, { target, props: { first } });
  drawn?.remove();
  performance.mark("signet:mounted");
}
