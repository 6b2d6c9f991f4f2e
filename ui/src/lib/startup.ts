// The window's first screen (accounts, preferences, the desktop's font), asked for before the
// app's code is evaluated: the engine answers while the page mounts, so the first frame can show
// the list, in the person's language and font, rather than "Loading…".
import { firstScreen as ask } from "./api";
import type { FirstScreen } from "./types";

export const firstScreen: Promise<FirstScreen> = ask();
// Handled by whoever awaits it; this keeps a failure from also being reported as unhandled.
firstScreen.catch(() => undefined);
