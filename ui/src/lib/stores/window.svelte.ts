// The window's state, made once by App.svelte and provided to every screen through Svelte context:
// the stores (accounts, providers, preferences, notices, the selected account, the activity log,
// the sign-in flow, the keyring) and the engine's events that keep them current.
import { getContext, setContext } from "svelte";
import { ActivityStore } from "../activity/store.svelte";
import { accountChanges, keyringStatus, onAccountsChanged, onKeyringChanged, onNotice, onSignInFinished } from "../api";
import { DetailStore } from "../detail/store.svelte";
import { SignInFlow } from "../signin/flow.svelte";
import type { AccountView, AccountsChanged, FirstScreen, KeyringStatus } from "../types";
import { AccountsStore, NoticesStore, ProvidersStore, SettingsStore } from "./app.svelte";

/** What the window does when the state says so (App.svelte's navigation and start-up report). */
export interface WindowHooks {
  /** Every read of the account list, with the list or null when it failed. */
  listed?: (list: AccountView[] | null) => void;
  /** A sign-in ended well (the new or signed-in account, when known). */
  signedIn?: (accountId: number | null) => void;
}

export class WindowState {
  readonly detail = new DetailStore();
  readonly activity = new ActivityStore();
  readonly providers: ProvidersStore;
  readonly settings: SettingsStore;
  readonly notices = new NoticesStore();
  readonly accounts: AccountsStore;
  readonly flow: SignInFlow;
  /** The keyring as last heard of (null until the first answer). */
  keyring = $state<KeyringStatus | null>(null);
  /** Set when live updates could not be subscribed to: the list may then go stale. */
  listenError = $state<unknown>(null);

  /** The first screen main.ts found or asked for before mounting (used once), if any. */
  readonly #first: Promise<FirstScreen> | null;

  /** `first`: the first screen main.ts found (the window mounts with it) or asked for: its
   * accounts and preferences are the first read of each. */
  constructor(first: FirstScreen | Promise<FirstScreen> | null = null, hooks: WindowHooks = {}) {
    this.#first = first === null ? null : Promise.resolve(first);
    const part = <T>(pick: (s: FirstScreen) => T): T | Promise<T> | null =>
      first === null ? null : first instanceof Promise ? first.then(pick) : pick(first);
    this.settings = new SettingsStore(part((s) => s.settings));
    this.providers = new ProvidersStore(part((s) => s.providers));
    this.accounts = new AccountsStore(part((s) => s.accounts), (list) => {
      if (list) this.detail.listed(list);
      hooks.listed?.(list);
    });
    this.flow = new SignInFlow((accountId) => {
      if (accountId !== null) this.detail.select(accountId);
      void this.accounts.load();
      // Adding an Easemob account may have created its provider entry.
      void this.providers.load();
      hooks.signedIn?.(accountId);
    });
  }

  /** One batch of engine changes: the list, the open activity log and the selected account follow. */
  accountsChanged(change: AccountsChanged): void {
    void this.accounts.load();
    this.activity.changed();
    this.detail.changed(change);
  }

  /** Once subscribed: reads the list again if accounts changed between the first screen's read
   * and the subscription (those changes' events were sent before anyone listened). */
  async #catchUp(): Promise<void> {
    if (!this.#first) return;
    try {
      const [first, now] = await Promise.all([this.#first, accountChanges()]);
      if (now !== first.changes) void this.accounts.load();
    } catch {
      // No first screen (the list shows that error) or no count: the next change reloads.
    }
  }

  /** Subscribes to the engine's events and reads everything once; returns the unsubscribe. */
  connect(): () => void {
    void this.accounts.load();
    const subscriptions = [
      onAccountsChanged((change) => this.accountsChanged(change)),
      onSignInFinished((event) => {
        this.flow.finished(event);
        void this.accounts.load();
      }),
      onNotice((notice) => this.notices.add(notice)),
      onKeyringChanged((next) => {
        this.keyring = next;
        // Providers' "secret stored" could not be checked while it was in trouble.
        if (next.state === "ok") void this.providers.load();
      }),
    ].map((p) =>
      p.catch((e: unknown) => {
        this.listenError = e;
        return undefined;
      }),
    );
    void Promise.all(subscriptions).then(() => this.#catchUp());
    void this.settings.load();
    void this.providers.load();
    void this.providers.loadKinds();
    keyringStatus().then(
      (status) => (this.keyring ??= status),
      () => undefined,
    );
    return () => {
      for (const p of subscriptions) void p.then((unlisten) => unlisten?.());
    };
  }
}

const KEY = Symbol("signet.window");

/** Makes `state` the window's state for this component and everything inside it. */
export function provideWindow(state: WindowState): WindowState {
  return setContext(KEY, state);
}

/** The window's state, as provided by App.svelte (or a test). */
export function useWindow(): WindowState {
  const state = getContext<WindowState | undefined>(KEY);
  if (!state) throw new Error("useWindow() outside a component given the window's state");
  return state;
}

/** The context a test renders a screen with: `render(Screen, { context: windowContext(state) })`. */
export function windowContext(state: WindowState): Map<symbol, WindowState> {
  return new Map([[KEY, state]]);
}
