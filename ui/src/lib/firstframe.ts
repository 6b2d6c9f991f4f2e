// The window's first frame, drawn from the first screen before the app's code is loaded: the same
// markup the Svelte app makes for the account list (firstframe.test.ts holds the two together),
// shown inert until the app mounts over it.
import { accountCount, expiryText, initial, statusLabel } from "./format";
import { getLang, t, type Key } from "./i18n";
import type { AccountView, FirstScreen } from "./types";
import { FALLBACK_HEIGHT, ROW_HEIGHT, visibleRange } from "./virtual";

/** Marks the drawn frame, which the app replaces when it mounts. */
export const FIRST_FRAME_ATTR = "data-first-frame";

/** Text and attribute values, escaped for markup. */
function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A component's scoped class (svelte.config.js names them `s-<Component>`). */
const s = (component: string, ...classes: string[]) => [...classes, `s-${component}`].join(" ");

function row(account: AccountView, now: number, position: number, total: number): string {
  const name = account.displayName || account.email || "";
  const email = account.email ? `<span class="${s("AccountRow", "email")}">${esc(account.email)}</span>` : "";
  const expiry = account.accessExpiresAt !== null ? esc(expiryText(account.accessExpiresAt, now)) : "";
  const balance = account.balance
    ? `<span class="${s("AccountRow", "balance")}">${esc(account.balance.formatted)}</span>`
    : "";
  return (
    `<div class="${s("AccountRow", "row")}" role="option" aria-selected="false" aria-posinset="${position}" aria-setsize="${total}">` +
    `<span class="${s("Avatar", "avatar", "badge", "md", `hue-${Math.abs(account.id) % 6}`)}" aria-hidden="true">${esc(initial(name))}</span> ` +
    `<div class="${s("AccountRow", "lines")}">` +
    `<div class="${s("AccountRow", "line")}"><span class="${s("AccountRow", "name")}">${esc(account.displayName)}</span> ` +
    `<span class="${s("StatusPill", "pill", `status-${account.status}`)}">${esc(statusLabel(account.status))}</span></div> ` +
    `<div class="${s("AccountRow", "line", "sub")}">${email} <span class="${s("AccountRow", "provider")}">${esc(account.provider)}</span></div> ` +
    `<div class="${s("AccountRow", "line", "sub")}"><span class="${s("AccountRow", "expiry")}">${expiry}</span> ${balance}</div>` +
    `</div></div>`
  );
}

function nav(): string {
  const item = (key: Key, current: boolean) =>
    `<button type="button"${current ? ' aria-current="page"' : ""} class="${s("Nav", ...(current ? ["current"] : []))}">${esc(t(key))}</button>`;
  return `<nav class="${s("Nav")}" aria-label="${esc(t("nav.label"))}">${item("nav.accounts", true)}${item("nav.activity", false)}${item("nav.settings", false)}</nav>`;
}

function toolbar(count: number): string {
  return (
    `<div class="${s("Toolbar", "toolbar")}" role="toolbar" aria-label="${esc(t("accounts.toolbar"))}">` +
    `<button type="button" class="btn btn-primary"><span aria-hidden="true">+</span> ${esc(t("accounts.add"))}</button> ` +
    `<button type="button" class="btn" aria-busy="false"> ${esc(t("accounts.refreshAll"))}</button> ` +
    `<span class="${s("Toolbar", "result")}" role="status"></span> ` +
    `<span class="${s("Toolbar", "count", "muted")}">${esc(accountCount(count))}</span></div>`
  );
}

/** The list as the app first draws it: the rows in view, or the empty list's words. */
function list(accounts: AccountView[], now: number): string {
  if (accounts.length === 0) {
    return (
      `<div class="${s("AccountList", "empty")}"><p class="${s("AccountList", "title")}">${esc(t("accounts.empty"))}</p> ` +
      `<p class="${s("AccountList")}">${esc(t("accounts.emptyHint"))}</p></div>`
    );
  }
  const range = visibleRange(0, FALLBACK_HEIGHT, ROW_HEIGHT, accounts.length, 0);
  const rows = accounts
    .slice(range.start, range.end)
    .map((a, i) => row(a, now, range.start + i + 1, accounts.length))
    .join("");
  return (
    `<div class="${s("AccountList", "viewport")}" role="listbox" tabindex="0" aria-label="${esc(t("accounts.label"))}">` +
    `<div class="${s("AccountList", "track")}"><div class="${s("AccountList", "window")}">${rows}</div></div></div>`
  );
}

/** The markup of the window as the app first draws it on the account list. */
function markup(accounts: AccountView[], now: number): string {
  const hint =
    accounts.length > 0
      ? `<p class="${s("AccountsScreen", "placeholder", "muted")}">${esc(t("accounts.selectHint"))}</p>`
      : "";
  return (
    `<div class="${s("App", "app")}" ${FIRST_FRAME_ATTR} inert aria-hidden="true">` +
    `<header class="${s("App")}"><h1 class="${s("App")}">${esc(t("app.title"))}</h1> ${nav()}</header> ` +
    `<div class="${s("App", "banners")}"> <div class="${s("StatusLine", "status")}" role="status"></div></div> ` +
    `<main class="${s("App")}"><div class="${s("AccountsScreen", "screen")}">${toolbar(accounts.length)} ` +
    `<div class="${s("AccountsScreen", "panes")}"><div class="${s("AccountsScreen", "list-pane")}">${list(accounts, now)}</div> ` +
    `<div class="${s("AccountsScreen", "detail-pane")}">${hint}</div>` +
    `</div></div></main></div>`
  );
}

/**
 * Draws the account list the first screen shows into `target`, as the app would, and returns
 * the drawn element (the app removes it once mounted). Draws nothing and returns null when the
 * window opens on the first-run guide (no provider configured), which the app draws itself.
 */
export function drawFirstFrame(target: HTMLElement, screen: FirstScreen, now: number): HTMLElement | null {
  if (screen.providers === 0) return null;
  target.insertAdjacentHTML("afterbegin", markup(screen.accounts, now));
  const frame = target.firstElementChild as HTMLElement;
  // The list's sizes, as the app sets them: through the CSSOM (the CSP allows no style markup).
  const set = (selector: string, name: string, px: number) =>
    frame.querySelector<HTMLElement>(selector)?.style.setProperty(name, `${px}px`);
  set(".viewport", "--row-h", ROW_HEIGHT);
  set(".track", "--total", screen.accounts.length * ROW_HEIGHT);
  set(".window", "--offset", 0);
  return frame;
}

/**
 * The frame the shell drew into the page (src-tauri/src/first_markup.rs), already painted,
 * when it is in the language the page now speaks (`drawnIn`: the page's `lang` before the
 * first screen was applied, which the shell set to the frame's). One in another language (the
 * shell and the webview read the system's language differently) is removed, and the page
 * draws its own.
 */
export function takeShellFrame(target: HTMLElement, drawnIn: string): HTMLElement | null {
  const frame = target.querySelector<HTMLElement>(`:scope > [${FIRST_FRAME_ATTR}]`);
  if (frame && drawnIn === getLang()) return frame;
  frame?.remove();
  return null;
}
