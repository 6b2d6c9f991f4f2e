// What the Easemob account form starts with: blank, from an existing provider, or from an account to sign in again.
import type { AccountView, ProviderView } from "../types";

export interface EasemobPrefill {
  /** The existing provider entry these coordinates belong to, if any. */
  provider: string | null;
  host: string;
  orgName: string;
  appName: string;
  username: string;
  clientId: string;
  /** Signing an existing account in again: only the password or app credentials can change. */
  locked: boolean;
}

/** `https://a1.easemob.com/` → `a1.easemob.com` (the form asks for the host; other schemes stay). */
export function hostOf(url: unknown): string {
  if (typeof url !== "string") return "";
  return url.trim().replace(/^https:\/\//i, "").replace(/\/+$/, "");
}

/** `org#app` → `["org", "app"]`. */
export function splitAppKey(key: unknown): [string, string] {
  if (typeof key !== "string" || !key.includes("#")) return ["", ""];
  const at = key.indexOf("#");
  return [key.slice(0, at).trim(), key.slice(at + 1).trim()];
}

export function blankPrefill(): EasemobPrefill {
  return { provider: null, host: "", orgName: "", appName: "", username: "", clientId: "", locked: false };
}

/** A new account of an app that already has a provider entry. */
export function prefillFromProvider(p: ProviderView): EasemobPrefill {
  const [orgName, appName] = splitAppKey(p.appKey);
  return { ...blankPrefill(), provider: p.name, host: hostOf(p.baseUrl), orgName, appName, clientId: p.clientId };
}

/** Signing `account` in again: its app and user from its profile, else from its provider entry. */
export function prefillFromAccount(account: AccountView, provider?: ProviderView): EasemobPrefill {
  const profile = account.profile ?? {};
  const fromProvider = provider ? prefillFromProvider(provider) : blankPrefill();
  const [org, app] = splitAppKey(profile.appKey);
  const username = typeof profile.username === "string" ? profile.username : "";
  const prefill = {
    provider: account.provider,
    host: hostOf(profile.host) || fromProvider.host,
    orgName: org || fromProvider.orgName,
    appName: app || fromProvider.appName,
    username,
    clientId: fromProvider.clientId,
  };
  // Whatever could not be found stays editable rather than locked empty.
  const locked = !!(prefill.host && prefill.orgName && prefill.appName && prefill.username);
  return { ...prefill, locked };
}
