// Sample engine data for the tests: accounts, details, providers, settings, activity.
import type {
  AccountDetail,
  AccountView,
  ActivityView,
  FirstScreen,
  ProviderView,
  Settings,
} from "../lib/types";

export const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

export function account(overrides: Partial<AccountView> = {}): AccountView {
  return {
    id: 1,
    provider: "google",
    providerKind: "oidc",
    displayName: "Ada Lovelace",
    email: "ada@example.com",
    avatarUrl: null,
    status: "fresh",
    statusCode: null,
    statusMessage: null,
    accessExpiresAt: NOW + 5 * 60_000,
    refreshExpiresAt: null,
    nextRefreshAt: NOW + 4 * 60_000,
    lastRefreshAt: NOW - 55 * 60_000,
    balance: null,
    lowBalanceBelow: null,
    profile: {},
    ...overrides,
  };
}

export function detail(overrides: Partial<AccountDetail> = {}): AccountDetail {
  return {
    account: account(),
    balanceHistory: [],
    forecast: null,
    activity: [],
    canTopUp: false,
    canRevoke: true,
    chat: { list: false, createSpace: false, send: false, recipientKinds: [], unavailable: null },
    missingScopes: [],
    direct: false,
    agentPolicy: "allow",
    agentGrants: [],
    ...overrides,
  };
}

export function provider(overrides: Partial<ProviderView> = {}): ProviderView {
  return {
    name: "aihubmix",
    kind: "aihubmix",
    clientId: "client-123",
    hasSecret: true,
    secretError: null,
    secretEnv: null,
    redirectUri: "signet://oauth/callback/aihubmix",
    issuer: null,
    baseUrl: "https://aihubmix.com",
    brand: null,
    requiresSecret: true,
    direct: false,
    appKey: null,
    accounts: 0,
    entry: { name: "aihubmix", kind: "aihubmix", clientId: "client-123", baseUrl: "https://aihubmix.com", redirect: "deep-link" },
    ...overrides,
  };
}

export function activity(overrides: Partial<ActivityView> = {}): ActivityView {
  return {
    id: 1,
    at: NOW - 60_000,
    accountId: 1,
    account: "Ada Lovelace",
    kind: "refresh",
    outcome: "refreshed",
    code: null,
    message: null,
    count: 1,
    ...overrides,
  };
}

export function settings(overrides: Partial<Settings> = {}): Settings {
  return { language: "en", notifications: true, launchAtLogin: false, ...overrides };
}

/** A first screen (as the shell puts it in the page or answers `first_screen`): one provider, no change yet. */
export function firstScreen(overrides: Partial<FirstScreen> = {}): FirstScreen {
  return { accounts: [account()], settings: settings(), desktopFont: null, changes: 0, providers: 1, ...overrides };
}

/** Many accounts, for the virtual list. */
export function manyAccounts(n: number): AccountView[] {
  return Array.from({ length: n }, (_, i) =>
    account({ id: i + 1, displayName: `Account ${i + 1}`, email: `user${i + 1}@example.com` }),
  );
}
