// Entry point: finds (or asks for) the first screen first, then loads the styles and mounts the app into #app.
performance.mark("signet:script");
import { firstScreen } from "./lib/startup";
import { mount } from "svelte";
import App from "./App.svelte";
import { applyFirstScreen } from "./lib/firstscreen";
import { warmFormats } from "./lib/format";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("#app element missing from index.html");

const app = mount(App, {
  target,
  props: { first: applyFirstScreen(firstScreen, document.documentElement) },
});
performance.mark("signet:mounted");
// While an answer asked for is on its way: the formats the list's first rows use (5–10 ms in
// WebKitGTK). With the first screen from the page, its rows have made them already.
warmFormats();
export default app;
