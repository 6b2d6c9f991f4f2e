// Screens loaded on first use: shown with their props once loaded, and one clear sentence if the code cannot be loaded.
import { render, screen } from "@testing-library/svelte";
import type { Component, ComponentProps } from "svelte";
import { describe, expect, it, vi } from "vitest";
import { setLang } from "../i18n";
import Lazy from "./Lazy.svelte";
import StatusLine from "./StatusLine.svelte";

/** Lazy's props for render(), which cannot infer a generic component's type parameter. */
function lazy<P extends Record<string, unknown>>(
  load: () => Promise<{ default: Component<P> }>,
  args?: P,
): ComponentProps<typeof Lazy> {
  return { load, args } as unknown as ComponentProps<typeof Lazy>;
}

describe("Lazy", () => {
  it("shows the loaded component with the props it was given", async () => {
    const ondismiss = vi.fn();
    render(Lazy, { props: lazy(() => import("./StatusLine.svelte"), { text: "Loaded and shown", ondismiss }) });

    expect(await screen.findByText("Loaded and shown")).toBeTruthy();
  });

  it("loads the code once per mount, however often the parent re-renders", async () => {
    const load = vi.fn(() => Promise.resolve({ default: StatusLine }));
    const view = render(Lazy, { props: lazy(load, { text: "first", ondismiss: vi.fn() }) });
    await screen.findByText("first");
    await view.rerender(lazy(load, { text: "second", ondismiss: vi.fn() }));

    expect(await screen.findByText("second")).toBeTruthy();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("says in one sentence, in the window's language, that a part could not be loaded", async () => {
    setLang("zh-CN");
    render(Lazy, { props: lazy<Record<string, never>>(() => Promise.reject(new Error("chunk missing"))) });

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe("Signet 的这一部分无法加载。请重新启动 Signet；如果仍然出现，请重新安装。");
  });
});
