// The activity log as the window holds it: read when the screen opens, and read again when the
// engine reports changes while it is open (each refresh or sign-in adds a line).
import { listActivity } from "../api";
import { coalesce } from "../coalesce";
import type { ActivityView } from "../types";

/** How many lines the screen shows. */
export const LIMIT = 200;

export class ActivityStore {
  entries = $state<ActivityView[] | null>(null);
  error = $state<unknown>(null);
  loading = $state(false);
  /** Whether the screen is open: changes while it is closed are read when it opens. */
  #open = false;

  readonly load = coalesce(async () => {
    this.loading = true;
    try {
      this.entries = await listActivity(LIMIT);
      this.error = null;
    } catch (e) {
      this.error = e;
    } finally {
      this.loading = false;
    }
  });

  /** The screen opened (read now) or closed. */
  shown(open: boolean): void {
    this.#open = open;
    if (open) void this.load();
  }

  /** The engine reported changes. */
  changed(): void {
    if (this.#open) void this.load();
  }
}
