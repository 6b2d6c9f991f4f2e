// The add-provider form's data: each kind's defaults and rules as the engine declares them (its
// `KindView`, from `provider_kinds`), checks, the redirect URI to register, and the NewProvider sent.
import type { Key } from "../i18n";
import type { KindView } from "../bindings/KindView";
import type { NewProvider } from "../types";

export interface ProviderDraft {
  kind: string;
  /** What the engine says about this kind: its defaults, the keys it takes. */
  spec: KindView;
  name: string;
  clientId: string;
  clientSecret: string;
  /** OIDC */
  issuer: string;
  /** Space-separated; empty = the engine's default. */
  scopes: string;
  baseUrl: string;
  redirect: "deep-link" | "loopback";
  port: string;
  /** Feishu */
  brand: "feishu" | "lark";
  tokenVersion: "v2" | "v3";
  /** Easemob: the REST host (`a1.easemob.com`), sent as `https://<host>`. */
  host: string;
  orgName: string;
  appName: string;
  ttl: string;
  vip5: boolean;
  /** The kind's other required keys (an endpoint URL each), by key. */
  extra: Record<string, string>;
}

export type DraftField = "name" | "clientId" | "clientSecret" | "issuer" | "baseUrl" | "port" | "host" | "orgName" | "appName" | "ttl";
export type Invalid = Partial<Record<DraftField, Key>> & { extra?: Record<string, Key> };

/** Keys the form has fields of its own for; any other key a kind requires gets a URL field. */
const OWN_FIELDS = new Set(["issuer", "base_url", "org_name", "app_name", "ttl", "vip5", "brand", "token_version"]);

/** Whether the kind takes `key` in its configuration entry. */
export const takes = (spec: KindView, key: string) => spec.keys.some((k) => k.key === key);

/** Whether an entry of the kind is refused without `key`. */
export const requires = (spec: KindView, key: string) => spec.keys.some((k) => k.key === key && k.required);

/** The kind's required keys that have no field of their own (each gets a URL field). */
export const extraKeys = (spec: KindView) => spec.keys.filter((k) => k.required && !OWN_FIELDS.has(k.key)).map((k) => k.key);

/** `authorize_url` → `authorizeUrl`: the NewProvider field of a configuration key. */
const field = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof NewProvider;

/** Accounts of this kind are added with a form (Easemob), not in the browser. */
export const formSignIn = (spec: KindView) => spec.signIn === "form";

/** Whether the person says which scopes to ask for (providers whose scopes are theirs to pick). */
export const asksScopes = (spec: KindView) => !formSignIn(spec) && (requires(spec, "issuer") || spec.defaultScopes.length === 0);

export function newDraft(spec: KindView): ProviderDraft {
  const draft: ProviderDraft = {
    kind: spec.kind,
    spec,
    name: "",
    clientId: "",
    clientSecret: "",
    issuer: "",
    scopes: "",
    baseUrl: "",
    redirect: "deep-link",
    port: "",
    brand: "feishu",
    tokenVersion: "v2",
    host: "",
    orgName: "",
    appName: "",
    ttl: "",
    vip5: false,
    extra: {},
  };
  return withKind(draft, spec);
}

/** The name a provider of this kind gets unless the person types another. */
export function defaultName(draft: ProviderDraft): string {
  if (formSignIn(draft.spec)) {
    const app = draft.appName.trim().replace(/[^A-Za-z0-9_-]/g, "-");
    return app ? `${draft.kind}-${app}` : draft.kind;
  }
  if (takes(draft.spec, "brand")) return draft.brand;
  // A provider of a kind there is one of (Google, AIHubMix) is named after it; a generic one is named by the person.
  return asksScopes(draft.spec) ? "" : draft.kind;
}

/** The draft switched to another kind, with that kind's defaults (redirect, port, base URL). */
export function withKind(draft: ProviderDraft, spec: KindView): ProviderDraft {
  const next = { ...draft, kind: spec.kind, spec, extra: {} };
  next.redirect = spec.redirect === "deep-link" ? "deep-link" : "loopback";
  next.port = spec.fixedPort != null ? String(spec.fixedPort) : "";
  next.baseUrl = spec.defaultBaseUrl ?? "";
  return next;
}

/** Whether the person chooses between a deep link and a loopback redirect for this kind. */
export const choosesRedirect = (spec: KindView) => spec.signIn === "browser" && spec.deepLink;

/** The redirect URI the provider's console must list, as the engine will build it (`*` = any port). */
export function redirectUri(draft: ProviderDraft): string | null {
  if (formSignIn(draft.spec)) return null;
  const name = draft.name.trim() || "…";
  if (choosesRedirect(draft.spec) && draft.redirect === "deep-link") return `signet://oauth/callback/${name}`;
  const fixed = draft.spec.fixedPort != null ? String(draft.spec.fixedPort) : "*";
  const port = draft.port.trim() || fixed;
  return `http://127.0.0.1:${port}/callback/${name}`;
}

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

const NAME = /^[A-Za-z0-9_-]+$/;

/** What is wrong with the draft, field by field (empty when it can be sent). */
export function validate(draft: ProviderDraft): Invalid {
  const invalid: Invalid = {};
  if (!NAME.test(draft.name.trim())) invalid.name = "providerForm.invalidName";
  const spec = draft.spec;
  if (formSignIn(spec)) {
    if (!/^\S+$/.test(draft.host.trim()) || !isUrl(easemobBase(draft.host))) invalid.host = "easemob.invalidHost";
    if (!NAME.test(draft.orgName.trim())) invalid.orgName = "easemob.invalidName";
    if (!NAME.test(draft.appName.trim())) invalid.appName = "easemob.invalidName";
    if (draft.clientSecret && !draft.clientId.trim()) invalid.clientId = "providerForm.invalidEasemobSecret";
    if (draft.ttl.trim() && !/^\d+$/.test(draft.ttl.trim())) invalid.ttl = "easemob.invalidTtl";
  } else if (spec.clientIdRequired && !draft.clientId.trim()) {
    invalid.clientId = "providerForm.invalidClientId";
  }
  if (requires(spec, "issuer") && !isUrl(draft.issuer.trim())) {
    invalid.issuer = "providerForm.invalidUrl";
  }
  if (!formSignIn(spec) && takes(spec, "base_url") && draft.baseUrl.trim() && !isUrl(draft.baseUrl.trim())) invalid.baseUrl = "providerForm.invalidUrl";
  for (const key of extraKeys(spec)) {
    if (!isUrl((draft.extra[key] ?? "").trim())) (invalid.extra ??= {})[key] = "providerForm.invalidUrl";
  }
  const p = Number(draft.port);
  if (choosesRedirect(spec) && draft.redirect === "loopback" && draft.port.trim() && !(Number.isInteger(p) && p >= 1024 && p <= 65535)) {
    invalid.port = "providerForm.invalidPort";
  }
  return invalid;
}

/** `a1.easemob.com` → `https://a1.easemob.com`; a full URL stays as it is. */
export function easemobBase(host: string): string {
  const h = host.trim().replace(/\/+$/, "");
  return h.includes("://") ? h : `https://${h}`;
}

/** A configured provider's entry as a draft to edit (its secret is never sent: the field stays empty). */
export function draftFrom(entry: NewProvider, spec: KindView): ProviderDraft {
  const base = newDraft(spec);
  const extra: Record<string, string> = {};
  for (const key of extraKeys(spec)) extra[key] = String(entry[field(key)] ?? "");
  return {
    ...base,
    name: entry.name,
    clientId: entry.clientId,
    issuer: entry.issuer ?? "",
    scopes: (entry.scopes ?? []).join(" "),
    baseUrl: formSignIn(spec) ? base.baseUrl : (entry.baseUrl ?? base.baseUrl),
    redirect: entry.redirect === "deep-link" || entry.redirect === "loopback" ? entry.redirect : base.redirect,
    port: entry.redirectPort ? String(entry.redirectPort) : base.port,
    brand: entry.brand === "lark" ? "lark" : "feishu",
    tokenVersion: entry.tokenVersion === "v3" ? "v3" : "v2",
    host: formSignIn(spec) ? (entry.baseUrl ?? "").replace(/^https:\/\//, "") : "",
    orgName: entry.orgName ?? "",
    appName: entry.appName ?? "",
    ttl: entry.ttl != null ? String(entry.ttl) : "",
    vip5: entry.vip5 ?? false,
    extra,
  };
}

/** The change to send for an edited draft: as [`toNewProvider`], and a field emptied is sent
 * empty, so the engine removes it and its default applies again. */
export function toChange(draft: ProviderDraft): NewProvider {
  const p = toNewProvider(draft);
  if (asksScopes(draft.spec) && !p.scopes) p.scopes = [];
  if (p.redirect === "loopback" && p.redirectPort === undefined) p.redirectPort = 0;
  return p;
}

/** The provider to add: only the fields that matter for its kind, nothing empty. */
export function toNewProvider(draft: ProviderDraft): NewProvider {
  const spec = draft.spec;
  const p: NewProvider = { name: draft.name.trim(), kind: draft.kind, clientId: draft.clientId.trim() };
  if (draft.clientSecret) p.clientSecret = draft.clientSecret;
  if (formSignIn(spec)) {
    p.baseUrl = easemobBase(draft.host);
    p.orgName = draft.orgName.trim();
    p.appName = draft.appName.trim();
    if (draft.ttl.trim()) p.ttl = Number(draft.ttl.trim());
    if (draft.vip5) p.vip5 = true;
    return p;
  }
  if (takes(spec, "brand")) {
    p.brand = draft.brand;
    p.tokenVersion = draft.tokenVersion;
  }
  if (takes(spec, "base_url")) p.baseUrl = draft.baseUrl.trim() || spec.defaultBaseUrl || undefined;
  if (takes(spec, "issuer") && draft.issuer.trim()) p.issuer = draft.issuer.trim();
  if (asksScopes(spec)) {
    const scopes = draft.scopes.split(/[\s,]+/).filter(Boolean);
    if (scopes.length > 0) p.scopes = scopes;
  }
  for (const key of extraKeys(spec)) {
    const value = (draft.extra[key] ?? "").trim();
    if (value) (p as Record<string, unknown>)[field(key)] = value;
  }
  if (!choosesRedirect(spec)) {
    p.redirect = spec.redirect;
    return p;
  }
  p.redirect = draft.redirect;
  if (draft.redirect === "loopback" && draft.port.trim()) p.redirectPort = Number(draft.port.trim());
  return p;
}
