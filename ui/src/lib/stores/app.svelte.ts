// The window's app-wide state as stores: the account list, the providers, the preferences and the
// notices. The app creates them once, tells them of the engine's events, and components read them.
import { getSettings, listAccounts, listProviders, providerKinds } from "../api";
import type { KindView } from "../bindings/KindView";
import { coalesce } from "../coalesce";
import { applyLanguagePref } from "../i18n";
import type { AccountView, LanguagePref, Notice, ProviderView, Settings } from "../types";

/** The account list: read at start (from the list asked for before mounting) and on every change. */
export class AccountsStore {
  list = $state<AccountView[]>([]);
  /** True once a read has succeeded; until then there is nothing honest to show. */
  loaded = $state(false);
  error = $state<unknown>(null);
  #prefetched: Promise<AccountView[]> | null;
  /** The list the store was made with, already on screen: its first read does not set it again
   * (which would make every row anew). */
  #shown: AccountView[] | null = null;
  #afterRead: (list: AccountView[] | null) => void;

  /** `prefetched`: the list main.ts found (shown from the start) or asked for before mounting
   * (used once). `afterRead` runs after every read, with the list or null when it failed. */
  constructor(
    prefetched: AccountView[] | Promise<AccountView[]> | null,
    afterRead: (list: AccountView[] | null) => void,
  ) {
    if (Array.isArray(prefetched)) {
      this.list = prefetched;
      this.loaded = true;
      this.#shown = prefetched;
    }
    this.#prefetched = prefetched === null ? null : Promise.resolve(prefetched);
    this.#afterRead = afterRead;
  }

  readonly load = coalesce(async () => {
    try {
      const pending = this.#prefetched ?? listAccounts();
      this.#prefetched = null;
      const next = await pending;
      const shown = next === this.#shown;
      this.#shown = null;
      // For the list-render benchmark: from the data's arrival to the frame that shows it.
      performance.mark("signet:list-data");
      if (!shown) this.list = next;
      // rAF then a task: runs right after the frame with the new list is produced.
      requestAnimationFrame(() =>
        setTimeout(() => performance.measure("signet:list-render", "signet:list-data"), 0),
      );
      this.loaded = true;
      this.error = null;
      this.#afterRead(next);
    } catch (e) {
      this.error = e;
      this.#afterRead(null);
    }
  });
}

/** The configured providers (Settings, the sign-in chooser, the first run). */
export class ProvidersStore {
  list = $state<ProviderView[]>([]);
  loaded = $state(false);
  error = $state<unknown>(null);
  /** How many the first screen said are configured, until the list is read. */
  #configured = $state<number | null>(null);

  /** `configured`: the first screen's count of configured providers, if it had one. */
  constructor(configured: number | Promise<number> | null = null) {
    if (configured instanceof Promise) {
      configured.then(
        (n) => (this.#configured = n),
        () => undefined,
      );
    } else {
      this.#configured = configured;
    }
  }

  /** Whether no provider is configured: from the list once read, from the first screen until
   * then (so the first run opens on its guide at once); null while neither has answered. */
  get none(): boolean | null {
    if (this.loaded) return this.list.length === 0;
    return this.#configured === null ? null : this.#configured === 0;
  }

  readonly load = coalesce(async () => {
    try {
      this.list = await listProviders();
      this.error = null;
    } catch (e) {
      this.error = e;
    } finally {
      this.loaded = true;
    }
  });

  named(name: string): ProviderView | undefined {
    return this.list.find((p) => p.name === name);
  }

  /** The kinds of provider the engine knows (the provider form offers these), read once. */
  kinds = $state<KindView[]>([]);

  readonly loadKinds = coalesce(async () => {
    try {
      this.kinds = await providerKinds();
    } catch (e) {
      this.error = e;
    }
  });

  /** What the engine says about `kind`, once read. */
  kind(kind: string): KindView | undefined {
    return this.kinds.find((k) => k.kind === kind);
  }
}

/** The preferences; reading them applies the language. */
export class SettingsStore {
  current = $state<Settings | null>(null);
  error = $state<unknown>(null);
  #prefetched: Promise<Settings> | null;

  /** `prefetched`: the preferences of the first screen main.ts found (at hand from the start) or
   * asked for (used once; when that failed, they are asked for on their own). */
  constructor(prefetched: Settings | Promise<Settings> | null = null) {
    if (prefetched !== null && !(prefetched instanceof Promise)) this.current = prefetched;
    this.#prefetched = prefetched === null ? null : Promise.resolve(prefetched);
  }

  async load(): Promise<void> {
    const prefetched = this.#prefetched;
    this.#prefetched = null;
    try {
      this.current = prefetched ? await prefetched.catch(() => getSettings()) : await getSettings();
      applyLanguagePref(this.current.language as LanguagePref);
    } catch (e) {
      this.error = e;
    }
  }

  /** Settings saved them (the language is applied there). */
  saved(next: Settings): void {
    this.current = next;
  }
}

/** Warnings for the banner (a forged link, …): the latest five, each dismissible. */
export class NoticesStore {
  list = $state<(Notice & { key: number })[]>([]);
  #key = 0;

  add(n: Notice): void {
    this.list = [...this.list.slice(-4), { ...n, key: ++this.#key }];
  }

  dismiss(key: number): void {
    this.list = this.list.filter((n) => n.key !== key);
  }
}
