// A fake engine behind mockIPC: default answers for every command, per-test overrides, a call log.
import { mockIPC } from "@tauri-apps/api/mocks";
import { account, firstScreen, provider, settings } from "./fixtures";
import engineKinds from "../lib/bindings/kinds.json";

type Handler = (args: Record<string, unknown>) => unknown;

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

const defaults: Record<string, Handler> = {
  list_accounts: () => [account()],
  first_screen: () => firstScreen(),
  account_changes: () => 0,
  list_providers: () => [provider()],
  // What the engine says about its kinds (written by its tests: lib/bindings/kinds.json).
  provider_kinds: () => engineKinds.kinds,
  get_settings: () => settings(),
  set_settings: (args) => args.settings,
  list_activity: () => [],
  refresh_all: () => ({ refreshed: 1, failed: 0 }),
  cancel_sign_in: () => null,
  keyring_status: () => ({ state: "ok" }),
  get_avatar: () => null,
  window_ready: () => null,
};

/** Installs the fake engine; returns the log of commands and what each returned. */
export function mockBackend(handlers: Record<string, Handler> = {}) {
  const calls: Call[] = [];
  const results: unknown[] = [];
  mockIPC(
    (cmd, args) => {
      const call = { cmd, args: (args ?? {}) as Record<string, unknown> };
      calls.push(call);
      const handler = handlers[cmd] ?? defaults[cmd];
      if (!handler) throw { code: "internal", message: `no mock for ${cmd}` };
      const result = handler(call.args);
      results.push(result);
      return result;
    },
    { shouldMockEvents: true },
  );
  return {
    calls,
    results,
    called: (cmd: string) => calls.filter((c) => c.cmd === cmd),
  };
}
