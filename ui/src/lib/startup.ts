// The window's first screen (accounts, preferences, the desktop's font) before the app's code is
// evaluated: from the page itself, where the shell put it while WebKit was starting, or else asked
// for at once, so the engine answers while the page mounts. Either way the first frame can show
// the list, in the person's language and font, rather than "Loading…"; from the page, the app
// mounts with the list already in it.
import { firstScreen as ask } from "./api";
import { embeddedFirstScreen } from "./firstscreen";
import type { FirstScreen } from "./types";

/** The first screen: at hand when the page brought it, else on its way. */
export const firstScreen: FirstScreen | Promise<FirstScreen> = embeddedFirstScreen(document) ?? ask();
// Handled by whoever awaits it; this keeps a failure from also being reported as unhandled.
if (firstScreen instanceof Promise) firstScreen.catch(() => undefined);

/** Where the page's start-up went (ms since navigation began), for the shell's log. */
export function pagePhases(): Record<string, number> {
  const phases: Record<string, number> = { frame: Math.round(performance.now()) };
  for (const e of performance.getEntriesByType("mark")) phases[e.name] = Math.round(e.startTime);
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  if (nav) {
    phases.responseEnd = Math.round(nav.responseEnd);
    phases.domInteractive = Math.round(nav.domInteractive);
  }
  return phases;
}
