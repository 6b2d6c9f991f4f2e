// The reactive t() lookup over one message file per locale (locales/), plurals through Intl.PluralRules.
import { en, type Key } from "./locales/en";
import { zhCN } from "./locales/zh-CN";
import type { ErrorCode, LanguagePref } from "./types";
import { locale, pickLang, systemLang, type Lang } from "./locale.svelte";

export type { Key };

export { pickLang, type Lang };

/** Both tables, for the test that checks they have the same keys and placeholders. */
export const tables: Record<Lang, Record<Key, string>> = { en, "zh-CN": zhCN };

const ERROR_CODES: Record<ErrorCode, Key> = {
  keyring_unavailable: "errorCode.keyring_unavailable",
  keyring_locked: "errorCode.keyring_locked",
  keyring_timeout: "errorCode.keyring_timeout",
  config: "errorCode.config",
  not_found: "errorCode.not_found",
  unknown_sign_in: "errorCode.unknown_sign_in",
  sign_in_expired: "errorCode.sign_in_expired",
  provider_mismatch: "errorCode.provider_mismatch",
  issuer_mismatch: "errorCode.issuer_mismatch",
  sign_in_cancelled: "errorCode.sign_in_cancelled",
  bad_callback: "errorCode.bad_callback",
  subject_mismatch: "errorCode.subject_mismatch",
  reauth_required: "errorCode.reauth_required",
  setup_problem: "errorCode.setup_problem",
  temporary: "errorCode.temporary",
  protocol: "errorCode.protocol",
  storage: "errorCode.storage",
  scope_missing: "errorCode.scope_missing",
  action_refused: "errorCode.action_refused",
  denied: "errorCode.denied",
  bad_request: "errorCode.bad_request",
  internal: "errorCode.internal",
};

/** The key of the localized sentence for an error code, or null for a code we don't know. */
export function errorCodeKey(code: string): Key | null {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : null;
}

export function getLang(): Lang {
  return locale.lang;
}

/** Switches the UI language; everything on screen that called t() re-renders. */
export function setLang(next: Lang): void {
  locale.lang = next;
  if (typeof document !== "undefined") document.documentElement.lang = next;
}

/** Applies the Settings language: "system" follows the webview's language. */
export function applyLanguagePref(pref: LanguagePref | string): void {
  setLang(pref === "en" || pref === "zh-CN" ? pref : systemLang());
}

/** Looks up a string in the current language and fills its {placeholders}. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = tables[locale.lang][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

const pluralRules = new Map<Lang, Intl.PluralRules>();

/** `base.one` / `base.other` (whatever categories the language has), chosen for `n` by
 * Intl.PluralRules in the UI language, with `{n}` filled in. */
export function tp(base: string, n: number, params: Record<string, string | number> = {}): string {
  const lang = locale.lang;
  let rules = pluralRules.get(lang);
  if (!rules) {
    rules = new Intl.PluralRules(lang);
    pluralRules.set(lang, rules);
  }
  const table = tables[lang];
  const exact = `${base}.${rules.select(n)}` as Key;
  const key = exact in table ? exact : (`${base}.other` as Key);
  return t(key, { n, ...params });
}
