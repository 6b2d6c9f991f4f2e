// The sign-in state machine shared by "Add account" and "Sign in again": choose → waiting → done or failed,
// or choose → form → done for providers whose accounts are added without a browser (Easemob).
// One union of states: each phase carries exactly what it needs, so no field is ever stale.
import { beginSignIn, cancelSignIn } from "../api";
import type { AccountView, SignInFinished, SignInStarted } from "../types";
import type { EasemobPrefill } from "./easemob";

/** Which provider, and which account when signing one in again (null: a new account). */
interface Target {
  provider: string;
  accountId: number | null;
}

export type SignInState =
  | { phase: "closed" }
  | { phase: "choose" }
  | { phase: "form"; prefill: EasemobPrefill; accountId: number | null }
  | ({ phase: "starting" } & Target)
  | ({ phase: "waiting"; started: SignInStarted } & Target)
  | ({ phase: "failed"; error: unknown } & Target);

export type Phase = SignInState["phase"];

export class SignInFlow {
  state = $state<SignInState>({ phase: "closed" });
  /** Bumped on every change of state: an answer that arrives after one is dropped. */
  #version = 0;

  #onSuccess: (accountId: number | null) => void;

  constructor(onSuccess: (accountId: number | null) => void) {
    this.#onSuccess = onSuccess;
  }

  get phase(): Phase {
    return this.state.phase;
  }

  get open(): boolean {
    return this.state.phase !== "closed";
  }

  /** The provider and account of the browser sign-in under way or failed, if any. */
  get target(): Target | null {
    return "provider" in this.state ? { provider: this.state.provider, accountId: this.state.accountId } : null;
  }

  /** Signing an existing account in again (rather than adding one). */
  get again(): boolean {
    return "accountId" in this.state && this.state.accountId !== null;
  }

  #go(next: SignInState): number {
    this.state = next;
    return ++this.#version;
  }

  #waiting(): Target | null {
    const s = this.state;
    return s.phase === "starting" || s.phase === "waiting" ? { provider: s.provider, accountId: s.accountId } : null;
  }

  /** Opens the dialog on the provider chooser ("Add account"). */
  choose(): void {
    this.#go({ phase: "choose" });
  }

  /** Shows the Easemob form instead of a browser sign-in (a new account, or `accountId` again). */
  direct(prefill: EasemobPrefill, accountId: number | null = null): void {
    this.#go({ phase: "form", accountId, prefill });
  }

  /** The form added (or signed in again) an account: close, as a finished browser sign-in does. */
  added(account: AccountView): void {
    if (this.state.phase !== "form") return;
    this.#go({ phase: "closed" });
    this.#onSuccess(account.id);
  }

  /** Asks the engine to open the browser at the provider's sign-in page. */
  async start(provider: string, accountId: number | null = null): Promise<void> {
    const mine = this.#go({ phase: "starting", provider, accountId });
    try {
      const started = await beginSignIn(provider, accountId);
      // The flow may have finished, failed or been cancelled meanwhile.
      if (this.#version !== mine) return;
      this.#go({ phase: "waiting", provider, accountId, started });
    } catch (error) {
      if (this.#version !== mine) return;
      this.#go({ phase: "failed", provider, accountId, error });
    }
  }

  /** The engine's `sign-in-finished`: ends the waiting state if it is about our provider. */
  finished(event: SignInFinished): void {
    const waiting = this.#waiting();
    if (!waiting || event.provider !== waiting.provider) return;
    if (event.error) {
      this.#go({ phase: "failed", ...waiting, error: event.error });
      return;
    }
    this.#go({ phase: "closed" });
    this.#onSuccess(event.accountId);
  }

  /** Starts the same sign-in once more after a failure. */
  retry(): Promise<void> {
    const target = this.target;
    return target ? this.start(target.provider, target.accountId) : Promise.resolve();
  }

  /** Stops waiting (or leaves the form): tells the engine, then goes back to the chooser (or closes for "sign in again"). */
  async cancel(): Promise<void> {
    const waiting = this.#waiting();
    if (this.again) this.#go({ phase: "closed" });
    else this.choose();
    if (waiting) await forget(waiting.provider);
  }

  /** Closes the dialog, cancelling a sign-in that is still waiting. */
  async close(): Promise<void> {
    const waiting = this.#waiting();
    this.#go({ phase: "closed" });
    if (waiting) await forget(waiting.provider);
  }
}

/** Tells the engine to stop waiting for `provider`'s callback. */
async function forget(provider: string): Promise<void> {
  try {
    await cancelSignIn(provider);
  } catch {
    // The flow may already be gone (finished or expired); nothing is left to cancel.
  }
}
