// A window state for rendering one screen in a test, with its stores already filled in.
import { vi } from "vitest";
import { WindowState, windowContext } from "../lib/stores/window.svelte";
import type { KindView } from "../lib/bindings/KindView";
import engineKinds from "../lib/bindings/kinds.json";
import type { ProviderView, Settings } from "../lib/types";

/** The kinds the engine lists, and the tests' own example kind (listed only in tests). */
export const KINDS = engineKinds.kinds as KindView[];
export const TEST_ONLY_KINDS = engineKinds.testOnly as KindView[];

/** A window whose providers and preferences are already read; `providers.load` and
 * `settings.saved` are spies (reading again is what the screen asks for, not what it shows). */
export function windowWith(init: { providers?: ProviderView[]; settings?: Settings | null; kinds?: KindView[] } = {}) {
  const state = new WindowState();
  state.providers.kinds = init.kinds ?? KINDS;
  state.providers.list = init.providers ?? [];
  state.providers.loaded = true;
  state.settings.current = init.settings ?? null;
  const reloadProviders = vi.spyOn(state.providers, "load").mockImplementation(async () => undefined);
  const settingsSaved = vi.spyOn(state.settings, "saved");
  return { state, context: windowContext(state), reloadProviders, settingsSaved };
}

/** The context of a window with account `id` selected (its detail fetched from the mocked engine). */
export function selecting(id: number) {
  const state = new WindowState();
  state.detail.select(id);
  return windowContext(state);
}
