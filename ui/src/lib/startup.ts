// The window's first screen (accounts, preferences, the desktop's font) before the app's code is
// evaluated: from the page itself, where the shell put it while WebKit was starting, or else asked
// for at once, so the engine answers while the page mounts. Either way the first frame can show
// the list, in the person's language and font, rather than "Loading…".
import { firstScreen as ask } from "./api";
import { embeddedFirstScreen } from "./firstscreen";
import type { FirstScreen } from "./types";

const embedded = embeddedFirstScreen(document);
export const firstScreen: Promise<FirstScreen> = embedded ? Promise.resolve(embedded) : ask();
// Handled by whoever awaits it; this keeps a failure from also being reported as unhandled.
firstScreen.catch(() => undefined);
