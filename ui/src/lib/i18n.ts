// Every user-visible string, in English and Simplified Chinese, and the t() lookup.
const en = {
  "app.title": "Signet",
  "accounts.one": "{n} account",
  "accounts.other": "{n} accounts",
  "accounts.label": "Accounts",
  "accounts.loading": "Loading accounts…",
  "accounts.empty": "No accounts added yet.",
  "accounts.emptyHint": "For now, you can add one from a terminal:",
  "status.fresh": "Fresh",
  "status.refreshing": "Refreshing…",
  "status.retrying": "Retrying",
  "status.reauth": "Sign in again",
  "status.setup": "Setup problem",
  "expiry.future": "expires {time}",
  "expiry.past": "expired {time}",
  "time.future": "in {amount}",
  "time.past": "{amount} ago",
  "unit.s": "{n} s",
  "unit.min": "{n} min",
  "unit.h": "{n} h",
  "unit.d": "{n} d",
  "error.unknown": "Something went wrong while talking to Signet.",
};

export type Key = keyof typeof en;
export type Lang = "en" | "zh-CN";

const zhCN: Record<Key, string> = {
  "app.title": "Signet",
  "accounts.one": "{n} 个账户",
  "accounts.other": "{n} 个账户",
  "accounts.label": "账户",
  "accounts.loading": "正在加载账户…",
  "accounts.empty": "还没有添加任何账户。",
  "accounts.emptyHint": "目前可以在终端中这样添加：",
  "status.fresh": "有效",
  "status.refreshing": "正在刷新…",
  "status.retrying": "正在重试",
  "status.reauth": "需要重新登录",
  "status.setup": "配置有误",
  "expiry.future": "{time}过期",
  "expiry.past": "已于 {time}过期",
  "time.future": "{amount}后",
  "time.past": "{amount}前",
  "unit.s": "{n} 秒",
  "unit.min": "{n} 分钟",
  "unit.h": "{n} 小时",
  "unit.d": "{n} 天",
  "error.unknown": "与 Signet 通信时出错。",
};

const tables: Record<Lang, Record<Key, string>> = { en, "zh-CN": zhCN };

/** Picks the UI language from a BCP 47 tag such as navigator.language. */
export function pickLang(tag: string | undefined): Lang {
  return tag?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

let lang: Lang = pickLang(typeof navigator === "undefined" ? undefined : navigator.language);

export function getLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
}

/** Looks up a string in the current language and fills its {placeholders}. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = tables[lang][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
