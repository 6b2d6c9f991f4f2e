// The UI's only door to the Rust side. Every command and event function is generated from Rust
// (`bindings/commands.ts` from the command functions, `bindings/events.ts` from the events
// list; src-tauri/src/ipc_bindings.rs): nothing here names a command by hand.
import type { SignInFinished } from "./types";
import { onSignInFinished as onSignInEvent } from "./bindings/events";

export * from "./bindings/commands";
export { onAccountsChanged, onKeyringChanged, onNotice } from "./bindings/events";

/** Calls `handler` when a sign-in started from this UI (or a deep link) has ended. */
export const onSignInFinished = (handler: (event: SignInFinished) => void) =>
  onSignInEvent((event) => {
    if (event.type === "signInFinished") handler(event);
  });
