// Entry point: asks for the account list first, then loads the styles and mounts the app into #app.
performance.mark("signet:script");
import { firstAccounts } from "./lib/startup";
import { mount } from "svelte";
import App from "./App.svelte";
import "./app.css";

const target = document.getElementById("app");
if (!target) throw new Error("#app element missing from index.html");

const app = mount(App, { target, props: { firstAccounts } });
performance.mark("signet:mounted");
export default app;
