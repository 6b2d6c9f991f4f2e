// Tests for the pure formatting helpers.
import { afterEach, describe, expect, it } from "vitest";
import {
  accountCount,
  errorMessage,
  expiryText,
  initial,
  relativeTime,
  statusLabel,
} from "./format";
import { setLang } from "./i18n";
import type { AccountStatus } from "./types";

const NOW = 1_700_000_000_000;
const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

afterEach(() => setLang("en"));

describe("relativeTime", () => {
  it.each([
    [NOW + 5 * MIN, "in 5 min"],
    [NOW - 3 * MIN, "3 min ago"],
    [NOW, "in 0 s"],
    [NOW + 30 * SEC, "in 30 s"],
    [NOW + 59.6 * SEC, "in 1 min"],
    [NOW + 59 * MIN + 40 * SEC, "in 1 h"],
    [NOW - 2 * HOUR, "2 h ago"],
    [NOW + 23 * HOUR, "in 23 h"],
    [NOW + 3 * DAY, "in 3 d"],
    [NOW - 10 * DAY, "10 d ago"],
  ])("formats %d relative to now as %s", (at, expected) => {
    expect(relativeTime(at, NOW)).toBe(expected);
  });

  it("speaks Chinese when the language is zh-CN", () => {
    setLang("zh-CN");
    expect(relativeTime(NOW + 5 * MIN, NOW)).toBe("5 分钟后");
    expect(relativeTime(NOW - 3 * MIN, NOW)).toBe("3 分钟前");
  });
});

describe("expiryText", () => {
  it("says when the access token expires or expired", () => {
    expect(expiryText(NOW + 5 * MIN, NOW)).toBe("expires in 5 min");
    expect(expiryText(NOW - 3 * MIN, NOW)).toBe("expired 3 min ago");
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
