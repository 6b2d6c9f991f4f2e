// Generated from src-tauri/src/commands.rs by `cargo test` (src-tauri/src/ipc_bindings.rs). Do not edit.
import { invoke } from "@tauri-apps/api/core";
import type { AccountDetail } from "./AccountDetail";
import type { AccountView } from "./AccountView";
import type { ActivityView } from "./ActivityView";
import type { AgentPolicy } from "./AgentPolicy";
import type { ChatSent } from "./ChatSent";
import type { ChatTarget } from "./ChatTarget";
import type { EasemobAccount } from "./EasemobAccount";
import type { FirstScreen } from "./FirstScreen";
import type { KeyringStatus } from "./KeyringStatus";
import type { KindView } from "./KindView";
import type { NewProvider } from "./NewProvider";
import type { ProviderRemoved } from "./ProviderRemoved";
import type { ProviderView } from "./ProviderView";
import type { Recipient } from "./Recipient";
import type { RefreshAllResult } from "./RefreshAllResult";
import type { RemoveResult } from "./RemoveResult";
import type { Settings } from "./Settings";
import type { SignInStarted } from "./SignInStarted";

/**
 * The window's first screen in one answer: the accounts, the preferences (its language) and
 * the desktop's font, so the page draws it once, in the right language and font.
 */
export const firstScreen = () =>
  invoke<FirstScreen>("first_screen");

/**
 * How many batches of account changes the window has been told of since start: a page that
 * subscribed after its first screen was read compares it with `FirstScreen::changes`.
 */
export const accountChanges = () =>
  invoke<number>("account_changes");

/** Every account, as the list shows it (no token or secret). */
export const listAccounts = () =>
  invoke<Array<AccountView>>("list_accounts");

/** One account in full: profile, balance and its history, forecast, chat support. */
export const getAccount = (id: number) =>
  invoke<AccountDetail>("get_account", { id });

/** The account's picture as a `data:` URL, fetched by the engine (the window loads no remote image). */
export const getAvatar = (id: number) =>
  invoke<string | null>("get_avatar", { id });

/** Refreshes the account now (even if not due), then reads its profile and balance again. */
export const refreshAccount = (id: number) =>
  invoke<AccountView>("refresh_account", { id });

/** Refresh all (the window's button and the tray's item): every account that is not waiting for its person. */
export const refreshAll = () =>
  invoke<RefreshAllResult>("refresh_all");

/** The configured providers, with what each can do and how many accounts it has. */
export const listProviders = () =>
  invoke<Array<ProviderView>>("list_providers");

/**
 * Every kind of provider Signet knows (from the engine's registry), with the keys each takes:
 * the provider form offers these.
 */
export const providerKinds = () =>
  invoke<Array<KindView>>("provider_kinds");

/** Adds a provider to the configuration (its secret, if given, goes to the keyring). */
export const addProvider = (provider: NewProvider) =>
  invoke<ProviderView>("add_provider", { provider });

/** Changes a provider's entry: values given change, empty ones are removed, absent ones kept. */
export const updateProvider = (name: string, provider: NewProvider) =>
  invoke<ProviderView>("update_provider", { name, provider });

/** Removes a provider with its accounts (revoked where the provider can) and its secrets. */
export const removeProvider = (name: string) =>
  invoke<ProviderRemoved>("remove_provider", { name });

/** Write-only: the engine stores it in the keyring and never hands it back. */
export const setClientSecret = (provider: string, secret: string) =>
  invoke<null>("set_client_secret", { provider, secret });

/** Starts a sign-in in the system browser; `account` non-null signs that account in again. The shell opens the browser itself. */
export const beginSignIn = (provider: string, account: number | null) =>
  invoke<SignInStarted>("begin_sign_in", { provider, account });

/** Stops waiting for the provider's sign-in started from the window. */
export const cancelSignIn = (provider: string) =>
  invoke<null>("cancel_sign_in", { provider });

/** Removes the account and its tokens (revoked first where the provider can). */
export const removeAccount = (id: number) =>
  invoke<RemoveResult>("remove_account", { id });

/** Opens the account's top-up page in the system browser. */
export const openTopup = (id: number) =>
  invoke<null>("open_topup", { id });

/** Sets the account's low-balance alert (money as the balance is shown), or removes it (`null`). */
export const setLowBalance = (id: number, amount: number | null) =>
  invoke<AccountView>("set_low_balance", { id, amount });

/** Whether programs may get the account's token from the token agent: `allow`, `ask`, `deny`. */
export const setAgentPolicy = (id: number, policy: AgentPolicy) =>
  invoke<AccountDetail>("set_agent_policy", { id, policy });

/** Forgets what the person decided for a program: under `ask` it is asked about again. */
export const revokeAgentGrant = (id: number, program: string) =>
  invoke<AccountDetail>("revoke_agent_grant", { id, program });

/** Adds (or signs in again) an Easemob account from the form: no browser. Secrets go to the keyring. */
export const addEasemobAccount = (account: EasemobAccount) =>
  invoke<AccountView>("add_easemob_account", { account });

/** The Google Chat spaces or Feishu group chats the account can post to. */
export const chatList = (id: number) =>
  invoke<Array<ChatTarget>>("chat_list", { id });

/** Creates a named Google Chat space. */
export const chatCreateSpace = (id: number, name: string) =>
  invoke<ChatTarget>("chat_create_space", { id, name });

/** Sends a text message as the account. */
export const chatSend = (id: number, to: Recipient, text: string) =>
  invoke<ChatSent>("chat_send", { id, to, text });

/** The newest activity lines, at most `limit`. */
export const listActivity = (limit: number) =>
  invoke<Array<ActivityView>>("list_activity", { limit });

/** The preferences (language, start at login, notifications). */
export const getSettings = () =>
  invoke<Settings>("get_settings");

/** Saves the preferences and applies them (the tray follows a language change). */
export const setSettings = (settings: Settings) =>
  invoke<Settings>("set_settings", { settings });

/** The keyring as last seen (the window's warning while it is locked, missing or not answering). */
export const keyringStatus = () =>
  invoke<KeyringStatus>("keyring_status");

/**
 * The page's first screen (the account list, or the first-run guide) is on screen: drawn from
 * the first screen before the app's code loaded (`interactive` false), or by the app, which then
 * answers input (`interactive` true). Logged as the start-up times, and the idle benchmark's
 * marks; only the first call of each kind counts (the first of either is the first frame).
 */
export const windowReady = (phases: Record<string, number>, interactive: boolean) =>
  invoke<null>("window_ready", { phases, interactive });
