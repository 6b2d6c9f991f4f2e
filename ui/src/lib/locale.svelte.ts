// The current UI language as reactive state, so every t() in a template re-runs on a switch.
export type Lang = "en" | "zh-CN";

/** Picks the UI language from a BCP 47 tag such as navigator.language. */
export function pickLang(tag: string | undefined): Lang {
  return tag?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

/** The system's language, as far as the webview tells it. */
export function systemLang(): Lang {
  return pickLang(typeof navigator === "undefined" ? undefined : navigator.language);
}

/** Read `locale.lang` inside a template or $derived and it re-runs when the language changes. */
export const locale = $state<{ lang: Lang }>({ lang: systemLang() });
