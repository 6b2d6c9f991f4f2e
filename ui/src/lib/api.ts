// The UI's only door to the Rust side: typed Tauri commands and events.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AccountDetail,
  AccountsChanged,
  AccountView,
  ActivityView,
  ChatSent,
  ChatTarget,
  EasemobAccount,
  EngineEvent,
  KeyringStatus,
  NewProvider,
  Notice,
  ProviderRemoved,
  ProviderView,
  Recipient,
  RefreshAllResult,
  RemoveResult,
  Settings,
  SignInFinished,
  SignInStarted,
} from "./types";

export const listAccounts = () => invoke<AccountView[]>("list_accounts");
export const getAccount = (id: number) => invoke<AccountDetail>("get_account", { id });
export const refreshAccount = (id: number) => invoke<AccountView>("refresh_account", { id });
export const refreshAll = () => invoke<RefreshAllResult>("refresh_all");
export const removeAccount = (id: number) => invoke<RemoveResult>("remove_account", { id });
export const openTopUp = (id: number) => invoke<null>("open_topup", { id });

export const listProviders = () => invoke<ProviderView[]>("list_providers");
export const addProvider = (provider: NewProvider) =>
  invoke<ProviderView>("add_provider", { provider });
/** Changes a provider's entry: values given change, empty ones are removed, absent ones kept. */
export const updateProvider = (name: string, provider: NewProvider) =>
  invoke<ProviderView>("update_provider", { name, provider });
/** Removes a provider with its accounts (revoked where the provider can) and its secrets. */
export const removeProvider = (name: string) => invoke<ProviderRemoved>("remove_provider", { name });
/** Write-only: the engine stores it in the keyring and never hands it back. */
export const setClientSecret = (provider: string, secret: string) =>
  invoke<null>("set_client_secret", { provider, secret });

/** `account` non-null signs that account in again. The shell opens the browser itself. */
export const beginSignIn = (provider: string, account: number | null) =>
  invoke<SignInStarted>("begin_sign_in", { provider, account });
export const cancelSignIn = (provider: string) => invoke<null>("cancel_sign_in", { provider });

/** Adds (or signs in again) an Easemob account from the form: no browser. Secrets go to the keyring. */
export const addEasemobAccount = (account: EasemobAccount) =>
  invoke<AccountView>("add_easemob_account", { account });

/** Google Chat spaces or Feishu group chats the account can post to. */
export const chatList = (id: number) => invoke<ChatTarget[]>("chat_list", { id });
/** Creates a named Google Chat space. */
export const chatCreateSpace = (id: number, name: string) =>
  invoke<ChatTarget>("chat_create_space", { id, name });
export const chatSend = (id: number, to: Recipient, text: string) =>
  invoke<ChatSent>("chat_send", { id, to, text });

export const listActivity = (limit: number) => invoke<ActivityView[]>("list_activity", { limit });

/** The first screen is on screen (the shell logs the start-up time; the idle benchmark reads it). */
export const windowReady = (phases: Record<string, number>) => invoke<null>("window_ready", { phases });

/** The keyring as last seen; `onKeyringChanged` reports every change after. */
export const keyringStatus = () => invoke<KeyringStatus>("keyring_status");
/** Sets the account's low-balance alert (money, as the balance is shown), or removes it with null. */
export const setLowBalance = (id: number, amount: number | null) =>
  invoke<AccountView>("set_low_balance", { id, amount });
/** The account's picture as a `data:` URL (fetched by Signet, never by the window), or null. */
export const getAvatar = (id: number) => invoke<string | null>("get_avatar", { id });

export const getSettings = () => invoke<Settings>("get_settings");
export const setSettings = (settings: Settings) => invoke<Settings>("set_settings", { settings });

/** Calls `handler` whenever accounts changed: one call per batch of changes (about 100 ms),
 * naming the accounts changed and removed, or `all` when everything should be reloaded. */
export function onAccountsChanged(handler: (change: AccountsChanged) => void): Promise<UnlistenFn> {
  return listen<AccountsChanged | null>("accounts-changed", (e) =>
    handler(e.payload ?? { changed: [], removed: [], all: true }),
  );
}

/** Calls `handler` when a sign-in started from this UI (or a deep link) has ended. */
export function onSignInFinished(handler: (event: SignInFinished) => void): Promise<UnlistenFn> {
  return listen<EngineEvent>("sign-in-finished", (e) => {
    if (e.payload?.type === "signInFinished") handler(e.payload);
  });
}

/** Calls `handler` for warnings the shell wants a person to see (e.g. a forged sign-in link). */
export function onNotice(handler: (notice: Notice) => void): Promise<UnlistenFn> {
  return listen<Notice>("notice", (e) => handler(e.payload));
}

/** Calls `handler` when the keyring starts or stops answering. */
export function onKeyringChanged(handler: (status: KeyringStatus) => void): Promise<UnlistenFn> {
  return listen<KeyringStatus>("keyring-changed", (e) => handler(e.payload));
}
