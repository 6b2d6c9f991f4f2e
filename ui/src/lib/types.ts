// Shapes of the data the Rust engine sends to the UI (to be generated from Rust later).
export type AccountStatus = "fresh" | "refreshing" | "retrying" | "reauth" | "setup";

export interface BalanceView {
  formatted: string;
  quota: number;
  usedQuota: number;
  sampledAt: number;
}

export interface AccountView {
  id: number;
  provider: string;
  providerKind: string;
  displayName: string;
  email: string | null;
  avatarUrl: string | null;
  status: AccountStatus;
  /** A sentence for a person, already localized by the engine in English. */
  statusMessage: string | null;
  /** Unix milliseconds. */
  accessExpiresAt: number | null;
  /** Unix milliseconds. */
  nextRefreshAt: number | null;
  /** Unix milliseconds. */
  lastRefreshAt: number | null;
  balance: BalanceView | null;
}

/** What a failed Tauri command rejects with. */
export interface CommandError {
  code: string;
  message: string;
}
