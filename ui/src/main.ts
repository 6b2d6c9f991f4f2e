// Entry point: the first screen (from the page, or asked for); when it shows the account list, the
// first frame — drawn by the shell into the page and already painted, or else drawn here at
// once; then the app's code, which mounts over that frame.
performance.mark("signet:script");
import { windowReady } from "./lib/api";
import { drawFirstFrame, takeShellFrame } from "./lib/firstframe";
import { applyFirstScreen } from "./lib/firstscreen";
import { warmFormats } from "./lib/format";
import { firstScreen, pagePhases } from "./lib/startup";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("#app element missing from index.html");

// The page's language as the shell served it: the language of the frame it drew, if any.
const servedIn = document.documentElement.lang;
const first = applyFirstScreen(firstScreen, document.documentElement);
// (Without the first screen at hand, a frame the shell drew is not used: it would have come with it.)
const shellFrame = takeShellFrame(target, first instanceof Promise ? "" : servedIn);
const drawn = shellFrame ?? (first instanceof Promise ? null : drawFirstFrame(target, first, Date.now()));
performance.mark("signet:drawn");

/** Loads the app's code and mounts it over the drawn frame. */
function start(): Promise<void> {
  return import("./start").then(
    (app) => app.start(target as HTMLElement, first, drawn),
    (e: unknown) => {
      // Better an empty window than a list that looks usable and never answers.
      drawn?.remove();
      throw e;
    },
  );
}

if (shellFrame) {
  // Painted before this script was loaded, and reported by the page's loader.
  void start();
} else if (drawn) {
  // Painted: reported to the shell (the start-up time); the app's code is evaluated after this
  // frame, not before it.
  requestAnimationFrame(() => {
    void windowReady(pagePhases(), false).catch(() => undefined);
    setTimeout(() => void start(), 0);
  });
} else {
  void start();
  // While the app's code and an answer asked for are on their way: the formats the list's
  // first rows use (5–10 ms in WebKitGTK, each the first time).
  warmFormats();
}
