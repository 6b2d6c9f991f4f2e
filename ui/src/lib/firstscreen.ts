// What the first screen's answer sets before its list is drawn: the desktop's font and the language.
import { applyLanguagePref } from "./i18n";
import type { AccountView, FirstScreen } from "./types";

/** Names the desktop's font for the stylesheet (`--desktop-font`, app.css), when the shell read
 * one (Linux: GTK's). Without it the stylesheet's `system-ui` stands. */
export function applyDesktopFont(root: HTMLElement, family: string | null): void {
  // A CSS string: no control characters, quotes and backslashes escaped.
  const clean = (family ?? "").replace(/[\u0000-\u001f\u007f]/g, "").trim();
  if (clean) root.style.setProperty("--desktop-font", `"${clean.replace(/["\\]/g, "\\$&")}"`);
}

/** The first list, once the answer's font and language are applied: the first frame is drawn
 * once, in both. */
export function firstAccounts(first: Promise<FirstScreen>, root: HTMLElement): Promise<AccountView[]> {
  return first.then((screen) => {
    applyDesktopFont(root, screen.desktopFont);
    applyLanguagePref(screen.settings.language);
    return screen.accounts;
  });
}
