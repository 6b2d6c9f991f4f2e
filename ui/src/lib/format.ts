// Pure helpers that turn engine data into words: relative times, status labels, errors.
import { t, type Key } from "./i18n";
import type { AccountStatus } from "./types";

const SECOND = 1000;
const MINUTE = 60;
const HOUR = 60;
const DAY = 24;

/** Splits a duration into its largest sensible unit, rounding as it goes. */
function amount(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / SECOND);
  if (seconds < MINUTE) return t("unit.s", { n: seconds });
  const minutes = Math.round(seconds / MINUTE);
  if (minutes < HOUR) return t("unit.min", { n: minutes });
  const hours = Math.round(minutes / HOUR);
  if (hours < DAY) return t("unit.h", { n: hours });
  return t("unit.d", { n: Math.round(hours / DAY) });
}

/** "in 5 min" when `at` is after `now`, "3 min ago" when before (both unix ms). */
export function relativeTime(at: number, now: number): string {
  return at >= now
    ? t("time.future", { amount: amount(at - now) })
    : t("time.past", { amount: amount(now - at) });
}

/** "expires in 5 min" / "expired 3 min ago". */
export function expiryText(expiresAt: number, now: number): string {
  const key: Key = expiresAt >= now ? "expiry.future" : "expiry.past";
  return t(key, { time: relativeTime(expiresAt, now) });
}

const STATUS_KEYS: Record<AccountStatus, Key> = {
  fresh: "status.fresh",
  refreshing: "status.refreshing",
  retrying: "status.retrying",
  reauth: "status.reauth",
  setup: "status.setup",
};

/** The words on an account's status pill. */
export function statusLabel(status: AccountStatus): string {
  return t(STATUS_KEYS[status] ?? "status.setup");
}

/** "1 account" / "3 accounts". */
export function accountCount(n: number): string {
  return t(n === 1 ? "accounts.one" : "accounts.other", { n });
}

/** The first letter of a name, for the avatar badge when there is no picture. */
export function initial(name: string): string {
  const first = Array.from(name.trim())[0];
  return first ? first.toLocaleUpperCase() : "?";
}

/** A message for a person out of whatever a command rejected with. */
export function errorMessage(error: unknown): string {
  if (typeof error === "string" && error) return error;
  if (error && typeof error === "object" && "message" in error) {
    const { message } = error as { message: unknown };
    if (typeof message === "string" && message) return message;
  }
  return t("error.unknown");
}
