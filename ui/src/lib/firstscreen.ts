// The first screen: found in the page (the shell puts it there) or asked for, and what its answer
// sets before the list is drawn: the desktop's font and the language.
import { applyLanguagePref } from "./i18n";
import type { FirstScreen } from "./types";

/** The id of the data block the shell adds to the page (src-tauri/src/first_page.rs). */
export const BLOCK_ID = "signet-first-screen";

/** The first screen the shell put in the page, taken out of it; null when there is none (a
 * reload, the dev server) or it does not read as one, and the page asks instead. */
export function embeddedFirstScreen(doc: Document): FirstScreen | null {
  const block = doc.getElementById(BLOCK_ID);
  if (!block) return null;
  block.remove();
  try {
    const screen = JSON.parse(block.textContent ?? "") as Partial<FirstScreen> | null;
    const complete =
      Array.isArray(screen?.accounts) &&
      typeof screen?.settings === "object" &&
      typeof screen?.changes === "number" &&
      typeof screen?.providers === "number";
    return complete ? (screen as FirstScreen) : null;
  } catch {
    return null;
  }
}

/** Names the desktop's font for the stylesheet (`--desktop-font`, app.css), when the shell read
 * one (Linux: GTK's). Without it the stylesheet's `system-ui` stands. */
export function applyDesktopFont(root: HTMLElement, family: string | null): void {
  // A CSS string: no control characters, quotes and backslashes escaped.
  const clean = (family ?? "").replace(/[\u0000-\u001f\u007f]/g, "").trim();
  if (clean) root.style.setProperty("--desktop-font", `"${clean.replace(/["\\]/g, "\\$&")}"`);
}

/** The first screen, once its font and language are applied (at once when it is at hand): the
 * first frame is drawn once, in both. */
export function applyFirstScreen<T extends FirstScreen | Promise<FirstScreen>>(first: T, root: HTMLElement): T;
export function applyFirstScreen(
  first: FirstScreen | Promise<FirstScreen>,
  root: HTMLElement,
): FirstScreen | Promise<FirstScreen> {
  const apply = (screen: FirstScreen) => {
    applyDesktopFont(root, screen.desktopFont);
    applyLanguagePref(screen.settings.language);
    return screen;
  };
  return first instanceof Promise ? first.then(apply) : apply(first);
}
