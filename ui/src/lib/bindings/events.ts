// Generated from src-tauri/src/events.rs by `cargo test` (src-tauri/src/ipc_bindings.rs). Do not edit.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { AccountsChanged } from "./AccountsChanged";
import type { EngineEvent } from "./EngineEvent";
import type { KeyringStatus } from "./KeyringStatus";
import type { Notice } from "./Notice";

/** Every event the shell sends to the window, with what it carries. */
export interface WindowEvents {
  "accounts-changed": AccountsChanged;
  "sign-in-finished": EngineEvent;
  "notice": Notice;
  "keyring-changed": KeyringStatus;
}

/** One batch of account changes (gathered over about 100 ms): the accounts changed and removed, or `all` when everything should be read again. */
export const onAccountsChanged = (handler: (payload: AccountsChanged) => void): Promise<UnlistenFn> =>
  listen<AccountsChanged>("accounts-changed", (e) => handler(e.payload));

/** A sign-in started from the window (or a deep link) has ended. */
export const onSignInFinished = (handler: (payload: EngineEvent) => void): Promise<UnlistenFn> =>
  listen<EngineEvent>("sign-in-finished", (e) => handler(e.payload));

/** A warning a person should see (for example a forged sign-in link). */
export const onNotice = (handler: (payload: Notice) => void): Promise<UnlistenFn> =>
  listen<Notice>("notice", (e) => handler(e.payload));

/** The keyring started or stopped answering. */
export const onKeyringChanged = (handler: (payload: KeyringStatus) => void): Promise<UnlistenFn> =>
  listen<KeyringStatus>("keyring-changed", (e) => handler(e.payload));
