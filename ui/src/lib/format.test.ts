// Tests for the pure formatting helpers.
import { describe, expect, it } from "vitest";
import {
  accountCount,
  countdown,
  describeError,
  errorMessage,
  expiryText,
  initial,
  relativeTime,
  refreshAllText,
  statusLabel,
} from "./format";
import { setLang } from "./i18n";
import type { AccountStatus } from "./types";

const NOW = 1_700_000_000_000;
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe("relativeTime", () => {
  it.each([
    [NOW + 5 * MIN, "in 5 minutes"],
    [NOW - 3 * MIN, "3 minutes ago"],
    [NOW, "in 0 seconds"],
    [NOW + 30 * SEC, "in 30 seconds"],
    [NOW + 59.6 * SEC, "in 1 minute"],
    [NOW + 59 * MIN + 40 * SEC, "in 1 hour"],
    [NOW - 2 * HOUR, "2 hours ago"],
    [NOW + 23 * HOUR, "in 23 hours"],
    [NOW + 3 * DAY, "in 3 days"],
    [NOW - 10 * DAY, "10 days ago"],
  ])("formats %d relative to now as %s", (at, expected) => {
    expect(relativeTime(at, NOW)).toBe(expected);
  });

  it("speaks Chinese when the language is zh-CN", () => {
    setLang("zh-CN");
    expect(relativeTime(NOW + 5 * MIN, NOW)).toBe("5分钟后");
    expect(relativeTime(NOW - 3 * MIN, NOW)).toBe("3分钟前");
  });
});

describe("expiryText", () => {
  it("says when the access token expires or expired", () => {
    expect(expiryText(NOW + 5 * MIN, NOW)).toBe("expires in 5 minutes");
    expect(expiryText(NOW - 3 * MIN, NOW)).toBe("expired 3 minutes ago");
  });
});

describe("statusLabel", () => {
  it.each<[AccountStatus, string]>([
    ["fresh", "Fresh"],
    ["refreshing", "Refreshing…"],
    ["retrying", "Retrying"],
    ["reauth", "Sign in again"],
    ["setup", "Setup problem"],
  ])("labels %s as %s", (status, label) => {
    expect(statusLabel(status)).toBe(label);
  });

  it("treats an unknown status as a setup problem", () => {
    expect(statusLabel("mystery" as AccountStatus)).toBe("Setup problem");
  });
});

describe("accountCount", () => {
  it("uses singular for one and plural otherwise", () => {
    expect(accountCount(0)).toBe("0 accounts");
    expect(accountCount(1)).toBe("1 account");
    expect(accountCount(4)).toBe("4 accounts");
  });
});

describe("initial", () => {
  it("takes the first letter, upper-cased", () => {
    expect(initial("ada")).toBe("A");
    expect(initial("  飞书")).toBe("飞");
    expect(initial("")).toBe("?");
  });
});

describe("errorMessage", () => {
  it("shows the message of a command error", () => {
    expect(errorMessage({ code: "store", message: "The store is locked." })).toBe(
      "The store is locked.",
    );
  });

  it("falls back for strings and unknown shapes", () => {
    expect(errorMessage("plain text")).toBe("plain text");
    expect(errorMessage(undefined)).toBe("Something went wrong while talking to Signet.");
    expect(errorMessage({ code: "x" })).toBe("Something went wrong while talking to Signet.");
  });
});

describe("countdown", () => {
  it.each([
    [0, "00:00"],
    [59 * SEC, "00:59"],
    [4 * MIN + 59 * SEC, "04:59"],
    [59 * MIN + 59 * SEC, "59:59"],
    [HOUR, "1 h 00 m"],
    [2 * HOUR + 5 * MIN + 30 * SEC, "2 h 05 m"],
    [3 * DAY + 4 * HOUR, "3 d 4 h"],
    [-5 * SEC, "00:00"],
  ])("shows %d ms as %s", (ms, text) => {
    expect(countdown(ms)).toBe(text);
  });

  it("speaks Chinese for hours", () => {
    setLang("zh-CN");
    expect(countdown(2 * HOUR + 5 * MIN)).toBe("2 小时 05 分");
  });
});

describe("refreshAllText", () => {
  it("mentions failures only when there are some", () => {
    expect(refreshAllText({ refreshed: 12, failed: 1 })).toBe("12 refreshed, 1 failed");
    expect(refreshAllText({ refreshed: 3, failed: 0 })).toBe("3 refreshed");
  });
});

describe("describeError", () => {
  it("maps a known code to its sentence and keeps the engine's words as detail", () => {
    expect(describeError({ code: "keyring_locked", message: "Secret Service said: locked." })).toEqual({
      text: "The system keyring is locked. Unlock it and try again.",
      detail: "Secret Service said: locked.",
    });
  });

  it("falls back to the message for unknown codes", () => {
    expect(describeError({ code: "unreadable_answer", message: "AIHubMix sent nonsense." })).toEqual({
      text: "AIHubMix sent nonsense.",
      detail: null,
    });
  });

  it("localizes the sentence", () => {
    setLang("zh-CN");
    expect(describeError({ code: "temporary", message: "503" }).text).toBe(
      "暂时无法连接到服务，Signet 稍后会重试。",
    );
  });
});
