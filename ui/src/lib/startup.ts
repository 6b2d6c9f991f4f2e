// The first account list, asked for before the app's code is evaluated: the engine answers while
// the page mounts, so the first frame can show the list rather than "Loading…".
import { listAccounts } from "./api";
import type { AccountView } from "./types";

export const firstAccounts: Promise<AccountView[]> = listAccounts();
// Handled by whoever awaits it; this keeps a failure from also being reported as unhandled.
firstAccounts.catch(() => undefined);
