// The first frame drawn before the app's code: the markup the app itself makes, in both languages,
// escaped, inert, and replaced by the app in one step.
import { cleanup, render } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import App from "../App.svelte";
import { start } from "../start";
import { mockBackend } from "../test/backend";
import { NOW, account, firstScreen, manyAccounts, settings } from "../test/fixtures";
import shellFrames from "./bindings/first-frame.json";
import { FIRST_FRAME_ATTR, drawFirstFrame, takeShellFrame } from "./firstframe";
import { applyFirstScreen } from "./firstscreen";
import { getLang } from "./i18n";
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

/** Markup as a document holds it, with the sizes the page sets through the CSSOM left out. */
function parsed(markup: string): string {
  const host = document.createElement("div");
  host.innerHTML = markup;
  for (const el of host.querySelectorAll("[style]")) el.removeAttribute("style");
  return host.innerHTML;
}

describe("the first frame the shell draws (src-tauri/src/first_markup.rs)", () => {
  afterEach(() => vi.useRealTimers());

  it.each(shellFrames.map((f) => [f.name, f] as const))("is the page's own for %s", (_name, fixture) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(fixture.now);
    const screen = applyFirstScreen(fixture.screen as unknown as FirstScreen, document.documentElement);
    expect(fixture.lang).toBe(getLang());
    const host = document.createElement("div");
    drawFirstFrame(host, screen, fixture.now);
    expect(parsed(fixture.markup)).toBe(parsed(host.innerHTML));
    const rows = screen.accounts.length;
    if (rows > 0) {
      expect(fixture.style).toContain(`.viewport{--row-h:72px}`);
      expect(fixture.style).toContain(`.track{--total:${rows * 72}px}`);
    }
  });

  it("covers both languages, every status, and every way a row's words are made", () => {
    const screens = shellFrames.map((f) => f.screen as unknown as FirstScreen);
    expect(new Set(shellFrames.map((f) => f.lang))).toEqual(new Set(["en", "zh-CN"]));
    const accounts = screens.flatMap((s) => s.accounts);
    expect(new Set(accounts.map((a) => a.status))).toEqual(new Set(["fresh", "refreshing", "retrying", "reauth", "setup"]));
    expect(accounts.some((a) => a.email === null)).toBe(true);
    expect(accounts.some((a) => a.balance === null)).toBe(true);
    expect(accounts.some((a) => a.accessExpiresAt === null)).toBe(true);
    expect(screens.some((s) => s.accounts.length > 10)).toBe(true);
    expect(screens.some((s) => s.accounts.length === 0)).toBe(true);
  });

  it("is used by the page when it speaks the frame's language, and removed when it does not", () => {
    const target = document.createElement("div");
    const fixture = shellFrames.find((f) => f.lang === "zh-CN");
    applyFirstScreen(fixture?.screen as unknown as FirstScreen, document.documentElement);
    target.innerHTML = fixture?.markup ?? "";
    const frame = target.firstElementChild;
    expect(takeShellFrame(target, "zh-CN")).toBe(frame);
    expect(takeShellFrame(target, "en")).toBeNull();
    expect(target.childNodes).toHaveLength(0);
    expect(takeShellFrame(target, "zh-CN")).toBeNull();
  });
});
