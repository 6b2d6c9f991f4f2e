// Tests for language choice, string lookup, and that both tables say the same things.
import { describe, expect, it } from "vitest";
import { applyLanguagePref, errorCodeKey, getLang, pickLang, setLang, t, tables, tp } from "./i18n";

describe("pickLang", () => {
  it.each([
    ["zh-CN", "zh-CN"],
    ["zh-TW", "zh-CN"],
    ["zh", "zh-CN"],
    ["en-US", "en"],
    ["de-DE", "en"],
    [undefined, "en"],
  ])("maps %s to %s", (tag, lang) => {
    expect(pickLang(tag)).toBe(lang);
  });
});

describe("t", () => {
  it("fills placeholders and leaves unknown ones alone", () => {
    expect(t("accounts.other", { n: 3 })).toBe("3 accounts");
    expect(t("accounts.other")).toBe("{n} accounts");
  });

  it("picks plurals with Intl.PluralRules in the UI language", () => {
    setLang("en");
    expect(tp("accounts", 1)).toBe("1 account");
    expect(tp("accounts", 3)).toBe("3 accounts");
    expect(tp("providers.removeAccounts", 1, { name: "corp" })).toContain("Its account is removed");
    setLang("zh-CN");
    expect(tp("accounts", 1)).toBe("1 个账户");
    expect(tp("accounts", 3)).toBe("3 个账户");
    setLang("en");
  });

  it("switches table with the language and marks the document's language", () => {
    setLang("zh-CN");
    expect(t("status.reauth")).toBe("需要重新登录");
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("follows the system language for the 'system' preference", () => {
    applyLanguagePref("zh-CN");
    expect(getLang()).toBe("zh-CN");
    applyLanguagePref("system");
    expect(getLang()).toBe(pickLang(navigator.language));
  });
});

describe("the string tables", () => {
  const en = tables.en;
  const zh = tables["zh-CN"];
  const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  it("have exactly the same keys in English and Chinese", () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
  });

  it("use the same placeholders in both languages and leave no string empty", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(en[key].trim(), key).not.toBe("");
      expect(zh[key].trim(), key).not.toBe("");
      expect(placeholders(zh[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("has a sentence for every error code the engine can send", () => {
    const codes = [
      "keyring_unavailable", "keyring_locked", "keyring_timeout", "config", "not_found",
      "unknown_sign_in", "sign_in_expired", "provider_mismatch", "issuer_mismatch",
      "sign_in_cancelled", "bad_callback", "subject_mismatch", "reauth_required",
      "setup_problem", "temporary", "protocol", "storage", "scope_missing", "action_refused", "denied", "bad_request",
      "internal",
    ];
    for (const code of codes) expect(errorCodeKey(code), code).not.toBeNull();
    expect(errorCodeKey("toString")).toBeNull();
    expect(errorCodeKey("made_up")).toBeNull();
  });
});
