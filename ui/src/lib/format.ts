// Pure helpers that turn engine data into words: times, countdowns, statuses, errors.
import { errorCodeKey, getLang, t, tp, type Key } from "./i18n";
import type { AccountStatus, RefreshAllResult } from "./types";

const SECOND = 1000;
const MINUTE = 60;
const HOUR = 60;
const DAY = 24;

const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();

/** The UI language's relative-time format ("in 5 minutes", "5分钟后"), made once per language. */
function relativeFormat(): Intl.RelativeTimeFormat {
  const lang = getLang();
  let f = relativeFormats.get(lang);
  if (!f) {
    f = new Intl.RelativeTimeFormat(lang, { numeric: "always", style: "long" });
    relativeFormats.set(lang, f);
  }
  return f;
}

/** Makes the formats the account list's first rows use (relative times, plurals) in the UI
 * language, ahead of the list: the first of each costs milliseconds to make. */
export function warmFormats(): void {
  relativeFormat();
  tp("accounts", 0);
}

/** `at` relative to `now` (both unix ms) in its largest sensible unit, rounding as it goes:
 * "in 5 minutes", "3 hours ago" — worded by Intl.RelativeTimeFormat in the UI language. */
export function relativeTime(at: number, now: number): string {
  const sign = at >= now ? 1 : -1;
  const seconds = Math.round(Math.abs(at - now) / SECOND);
  const f = relativeFormat();
  if (seconds < MINUTE) return f.format(sign * seconds, "second");
  const minutes = Math.round(seconds / MINUTE);
  if (minutes < HOUR) return f.format(sign * minutes, "minute");
  const hours = Math.round(minutes / HOUR);
  if (hours < DAY) return f.format(sign * hours, "hour");
  return f.format(sign * Math.round(hours / DAY), "day");
}

/** "expires in 5 min" / "expired 3 min ago". */
export function expiryText(expiresAt: number, now: number): string {
  const key: Key = expiresAt >= now ? "expiry.future" : "expiry.past";
  return t(key, { time: relativeTime(expiresAt, now) });
}

const pad = (n: number) => String(n).padStart(2, "0");

/** A ticking countdown: "04:59" under an hour, "2 h 05 m" under a day, "3 d 4 h" beyond. */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.floor(ms / SECOND));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600) % 24;
  const d = Math.floor(total / 86_400);
  if (d > 0) return t("dur.dh", { d, h });
  if (h > 0) return t("dur.hm", { h, m: pad(m) });
  return `${pad(m)}:${pad(s)}`;
}

/** Date and time with seconds in the UI language, e.g. "1 Jan 2025, 12:00:05". */
export function dateTime(at: number): string {
  return new Intl.DateTimeFormat(getLang(), {
    dateStyle: "medium",
    timeStyle: "medium",
  }).format(at);
}

/** A calendar date in the UI language. */
export function dateOnly(at: number): string {
  return new Intl.DateTimeFormat(getLang(), { dateStyle: "medium" }).format(at);
}

/** A plain number with grouping in the UI language. */
export function plainNumber(n: number): string {
  return new Intl.NumberFormat(getLang()).format(n);
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

/** "1 account" / "3 accounts" (the plural picked by Intl.PluralRules). */
export function accountCount(n: number): string {
  return tp("accounts", n);
}

/** "12 refreshed, 1 failed" (or just "12 refreshed"). */
export function refreshAllText(result: RefreshAllResult): string {
  return result.failed > 0
    ? t("refreshAll.someFailed", { refreshed: result.refreshed, failed: result.failed })
    : t("refreshAll.done", { refreshed: result.refreshed });
}

/** The first letter of a name, for the avatar badge when there is no picture. */
export function initial(name: string): string {
  const first = Array.from(name.trim())[0];
  return first ? first.toLocaleUpperCase() : "?";
}

/** The engine's message out of whatever a command rejected with. */
export function errorMessage(error: unknown): string {
  if (typeof error === "string" && error) return error;
  if (error && typeof error === "object" && "message" in error) {
    const { message } = error as { message: unknown };
    if (typeof message === "string" && message) return message;
  }
  return t("error.unknown");
}

/** What to tell a person about an error: a localized sentence and the engine's own words. */
export interface ErrorText {
  /** The localized sentence for the code, or the engine's message when there is none. */
  text: string;
  /** The engine's message when it adds something to `text`. */
  detail: string | null;
}

/** Maps `{code, message}` (a command error, a notice, an activity entry) to words. */
export function describeError(error: unknown): ErrorText {
  const message = errorMessage(error);
  const code =
    error && typeof error === "object" && "code" in error
      ? (error as { code: unknown }).code
      : null;
  const key = typeof code === "string" ? errorCodeKey(code) : null;
  if (!key) return { text: message, detail: null };
  const text = t(key);
  const hasOwnMessage = message !== t("error.unknown") && message !== text;
  return { text, detail: hasOwnMessage ? message : null };
}
