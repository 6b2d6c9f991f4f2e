// Tests for language choice and string lookup.
import { afterEach, describe, expect, it } from "vitest";
import { pickLang, setLang, t } from "./i18n";

afterEach(() => setLang("en"));

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

  it("switches table with the language", () => {
    setLang("zh-CN");
    expect(t("status.reauth")).toBe("需要重新登录");
  });
});
