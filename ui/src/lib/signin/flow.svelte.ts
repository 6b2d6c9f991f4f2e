// The sign-in state machine shared by "Add account" and "Sign in again": choose → waiting → done or failed,
// or choose → form → done for providers whose accounts are added without a browser (Easemob).
import { beginSignIn, cancelSignIn } from "../api";
import type { AccountView, SignInFinished, SignInStarted } from "../types";
import type { EasemobPrefill } from "./easemob";

export type Phase = "closed" | "choose" | "starting" | "waiting" | "failed" | "form";

export class SignInFlow {
  phase = $state<Phase>("closed");
  /** The provider being signed in to. */
  provider = $state<string | null>(null);
  /** Non-null when signing an existing account in again. */
  accountId = $state<number | null>(null);
  started = $state<SignInStarted | null>(null);
  error = $state<unknown>(null);
  /** What the Easemob form starts with, in the "form" phase. */
  form = $state<EasemobPrefill | null>(null);

  #onSuccess: (accountId: number | null) => void;

  constructor(onSuccess: (accountId: number | null) => void) {
    this.#onSuccess = onSuccess;
  }

  get open(): boolean {
    return this.phase !== "closed";
  }

  /** Opens the dialog on the provider chooser ("Add account"). */
  choose(): void {
    this.phase = "choose";
    this.provider = null;
    this.accountId = null;
    this.started = null;
    this.error = null;
    this.form = null;
  }

  /** Shows the Easemob form instead of a browser sign-in (a new account, or `accountId` again). */
  direct(prefill: EasemobPrefill, accountId: number | null = null): void {
    this.phase = "form";
    this.provider = prefill.provider;
    this.accountId = accountId;
    this.started = null;
    this.error = null;
    this.form = prefill;
  }

  /** The form added (or signed in again) an account: close, as a finished browser sign-in does. */
  added(account: AccountView): void {
    if (this.phase !== "form") return;
    this.phase = "closed";
    this.form = null;
    this.#onSuccess(account.id);
  }

  /** Asks the engine to open the browser at the provider's sign-in page. */
  async start(provider: string, accountId: number | null = null): Promise<void> {
    this.phase = "starting";
    this.provider = provider;
    this.accountId = accountId;
    this.started = null;
    this.error = null;
    this.form = null;
    try {
      const started = await beginSignIn(provider, accountId);
      // The flow may have finished, failed or been cancelled meanwhile.
      if (this.phase !== "starting" || this.provider !== provider) return;
      this.started = started;
      this.phase = "waiting";
    } catch (e) {
      if (this.phase !== "starting" || this.provider !== provider) return;
      this.error = e;
      this.phase = "failed";
    }
  }

  /** The engine's `sign-in-finished`: ends the waiting state if it is about our provider. */
  finished(event: SignInFinished): void {
    const waiting = this.phase === "starting" || this.phase === "waiting";
    if (!waiting || event.provider !== this.provider) return;
    if (event.error) {
      this.error = event.error;
      this.phase = "failed";
      return;
    }
    this.phase = "closed";
    this.#onSuccess(event.accountId);
  }

  /** Starts the same sign-in once more after a failure. */
  retry(): Promise<void> {
    return this.provider ? this.start(this.provider, this.accountId) : Promise.resolve();
  }

  /** Stops waiting (or leaves the form): tells the engine, then goes back to the chooser (or closes for "sign in again"). */
  async cancel(): Promise<void> {
    const provider = this.provider;
    const waiting = this.phase === "starting" || this.phase === "waiting";
    if (this.accountId === null) this.choose();
    else this.phase = "closed";
    if (waiting && provider) {
      try {
        await cancelSignIn(provider);
      } catch {
        // The flow may already be gone (finished or expired); nothing is left to cancel.
      }
    }
  }

  /** Closes the dialog, cancelling a sign-in that is still waiting. */
  async close(): Promise<void> {
    const provider = this.provider;
    const waiting = this.phase === "starting" || this.phase === "waiting";
    this.phase = "closed";
    if (waiting && provider) {
      try {
        await cancelSignIn(provider);
      } catch {
        // As in cancel(): nothing is left to cancel.
      }
    }
  }
}
