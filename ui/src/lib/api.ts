// The UI's only door to the Rust side: Tauri commands and events.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AccountView } from "./types";

export function listAccounts(): Promise<AccountView[]> {
  return invoke<AccountView[]>("list_accounts");
}

/** Calls `handler` whenever the engine says the account list changed. */
export function onAccountsChanged(handler: () => void): Promise<UnlistenFn> {
  return listen("accounts-changed", () => handler());
}
