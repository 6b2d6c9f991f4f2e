// The UI's names for the engine's data: re-exports of the ts-rs bindings generated from Rust.
export type { AccountDetail } from "./bindings/AccountDetail";
export type { AccountView } from "./bindings/AccountView";
export type { AccountsChanged } from "./bindings/AccountsChanged";
export type { ActivityView } from "./bindings/ActivityView";
export type { AgentGrant } from "./bindings/AgentGrant";
export type { AgentPolicy } from "./bindings/AgentPolicy";
export type { BalanceForecast } from "./bindings/BalanceForecast";
export type { BalanceView } from "./bindings/BalanceView";
export type { ChatSent } from "./bindings/ChatSent";
export type { ChatSupport } from "./bindings/ChatSupport";
export type { ChatTarget } from "./bindings/ChatTarget";
export type { EasemobAccount } from "./bindings/EasemobAccount";
export type { EngineEvent } from "./bindings/EngineEvent";
export type { Error } from "./bindings/Error";
export type { ErrorCode } from "./bindings/ErrorCode";
export type { FirstScreen } from "./bindings/FirstScreen";
export type { NewProvider } from "./bindings/NewProvider";
export type { Notice } from "./bindings/Notice";
export type { ProviderRemoved } from "./bindings/ProviderRemoved";
export type { ProviderView } from "./bindings/ProviderView";
export type { Recipient } from "./bindings/Recipient";
export type { RefreshAllResult } from "./bindings/RefreshAllResult";
export type { RemoveResult } from "./bindings/RemoveResult";
export type { Settings } from "./bindings/Settings";
export type { SignInStarted } from "./bindings/SignInStarted";
export type { Status } from "./bindings/Status";
export type { KeyringStatus } from "./bindings/KeyringStatus";

import type { Error as EngineError } from "./bindings/Error";
import type { EngineEvent } from "./bindings/EngineEvent";
import type { Status } from "./bindings/Status";

/** What every failed command rejects with: `{ code, message }`. */
export type CommandError = EngineError;

/** Kept for older imports: an account's status. */
export type AccountStatus = Status;

/** The payload of `sign-in-finished`. */
export type SignInFinished = Extract<EngineEvent, { type: "signInFinished" }>;


/** The language preference kept in Settings. */
export type LanguagePref = "system" | "en" | "zh-CN";
