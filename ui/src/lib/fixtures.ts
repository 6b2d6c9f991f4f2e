// Sample accounts for the tests.
import type { AccountView } from "./types";

export const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

export function account(overrides: Partial<AccountView> = {}): AccountView {
  return {
    id: 1,
    provider: "google",
    providerKind: "oauth",
    displayName: "Ada Lovelace",
    email: "ada@example.com",
    avatarUrl: null,
    status: "fresh",
    statusMessage: null,
    accessExpiresAt: NOW + 5 * 60_000,
    nextRefreshAt: NOW + 4 * 60_000,
    lastRefreshAt: NOW - 55 * 60_000,
    balance: null,
    ...overrides,
  };
}
