// The first frame drawn before the app's code: the markup the app itself makes, in both languages,
// escaped, inert, and replaced by the app in one step.
import { cleanup, render } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import App from "../App.svelte";
import { start } from "../start";
import { mockBackend } from "../test/backend";
import { NOW, account, firstScreen, manyAccounts, settings } from "../test/fixtures";
import { FIRST_FRAME_ATTR, drawFirstFrame } from "./firstframe";
import { applyFirstScreen } from "./firstscreen";
import type { AccountView, FirstScreen } from "./types";

/** Attributes that only tie an element to tests or to the live app, not to what is drawn. */
const IGNORED = new Set(["data-testid", "id", "style", "data-account-id"]);

/** An element as drawn: tag, attributes (classes sorted), text with runs of spaces as one. */
function canon(node: Node): string {
  if (node.nodeType === 3) return (node.textContent ?? "").replace(/\s+/g, " ");
  if (node.nodeType !== 1) return "";
  const el = node as Element;
  const attrs = [...el.attributes]
    .filter((a) => !IGNORED.has(a.name))
    .map((a) => (a.name === "class" ? `class="${a.value.split(/\s+/).filter(Boolean).sort().join(" ")}"` : `${a.name}="${a.value}"`))
    .sort()
    .join(" ");
  const inner = [...el.childNodes].map(canon).join("").replace(/\s+/g, " ");
  return `<${el.tagName.toLowerCase()} ${attrs}>${inner}</${el.tagName.toLowerCase()}>`;
}

/** The frame as the app would draw it: without the marks that make it a stand-in. */
function drawn(screen: FirstScreen): string {
  const host = document.createElement("div");
  const frame = drawFirstFrame(host, applyFirstScreen(screen, document.documentElement), Date.now());
  expect(frame).not.toBeNull();
  for (const attr of [FIRST_FRAME_ATTR, "inert", "aria-hidden"]) frame?.removeAttribute(attr);
  return canon(host.firstElementChild as Element);
}

/** The app's own first frame for the same screen. */
function mounted(screen: FirstScreen): string {
  const { container } = render(App, { props: { first: applyFirstScreen(screen, document.documentElement) } });
  return canon(container.querySelector(".app") as Element);
}

const varied: AccountView[] = [
  account({ id: 1, balance: { formatted: "$12.50" } as AccountView["balance"] }),
  account({ id: 2, displayName: "Grace", email: null, status: "reauth", accessExpiresAt: NOW - 3 * 3_600_000 }),
  account({ id: 3, displayName: "", email: "only@example.com", status: "retrying", accessExpiresAt: null }),
  account({ id: 9, displayName: "林", status: "refreshing", provider: "feishu", accessExpiresAt: NOW + 2 * 86_400_000 }),
];

describe("the first frame", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    mockBackend();
  });
  afterEach(() => vi.useRealTimers());

  it.each([
    ["English", "en"],
    ["简体中文", "zh-CN"],
  ] as const)("is the markup the app draws for the same screen, in %s", (_name, language) => {
    for (const accounts of [varied, manyAccounts(40), [account()], []]) {
      const screen = firstScreen({ accounts, settings: settings({ language }) });
      const frame = drawn(screen);
      expect(frame).toContain(language === "en" ? "Add account" : "添加账户");
      cleanup();
      expect(mounted(screen)).toBe(frame);
    }
  });

  it("draws only the rows the app's first frame has, with the list's sizes", () => {
    const host = document.createElement("div");
    const frame = drawFirstFrame(host, firstScreen({ accounts: manyAccounts(100) }), NOW);
    expect(frame?.querySelectorAll('[role="option"]')).toHaveLength(10);
    expect(frame?.querySelector<HTMLElement>(".track")?.style.getPropertyValue("--total")).toBe("7200px");
    expect(frame?.querySelector<HTMLElement>(".viewport")?.style.getPropertyValue("--row-h")).toBe("72px");
  });

  it("shows names as text: markup in a name cannot add elements", () => {
    const host = document.createElement("div");
    const hostile = '<img src=x onerror="alert(1)"><b>"Eve" & co</b>';
    drawFirstFrame(host, firstScreen({ accounts: [account({ displayName: hostile, email: "a@b'c" })] }), NOW);
    expect(host.querySelector("img, b")).toBeNull();
    expect(host.querySelector(".name")?.textContent).toBe(hostile);
    expect(host.querySelector(".email")?.textContent).toBe("a@b'c");
  });

  it("is a stand-in: inert and hidden from assistive technology until the app replaces it", () => {
    const host = document.createElement("div");
    const frame = drawFirstFrame(host, firstScreen(), NOW);
    expect(frame?.hasAttribute("inert")).toBe(true);
    expect(frame?.getAttribute("aria-hidden")).toBe("true");
  });

  it("is not drawn when the window opens on the first-run guide", () => {
    const host = document.createElement("div");
    expect(drawFirstFrame(host, firstScreen({ providers: 0, accounts: [] }), NOW)).toBeNull();
    expect(drawFirstFrame(host, firstScreen({ providers: 0 }), NOW)).toBeNull();
    expect(host.childNodes).toHaveLength(0);
  });

  it("draws an empty list with its words when a provider is set up but no account added", () => {
    const host = document.createElement("div");
    drawFirstFrame(host, firstScreen({ accounts: [] }), NOW);
    expect(host.textContent).toContain("0 accounts");
    expect(host.querySelector(".empty")).not.toBeNull();
    expect(host.querySelector('[role="listbox"]')).toBeNull();
  });

  it("is replaced by the app in one step: never both, never neither", () => {
    const target = document.createElement("div");
    document.body.append(target);
    const screen = firstScreen({ accounts: manyAccounts(3) });
    const frame = drawFirstFrame(target, screen, NOW);
    start(target, screen, frame);
    expect(target.querySelectorAll(".app")).toHaveLength(1);
    expect(target.querySelector(`[${FIRST_FRAME_ATTR}]`)).toBeNull();
    expect(target.querySelectorAll('[data-testid="account-row"]')).toHaveLength(3);
    target.remove();
  });

  it("can name the app's scoped classes: every component file name is unique", () => {
    const names = Object.keys(import.meta.glob("/src/**/*.svelte")).map((path) => path.split("/").pop());
    expect(names.length).toBeGreaterThan(10);
    expect(new Set(names).size).toBe(names.length);
  });
});
