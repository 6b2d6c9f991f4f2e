// The add-provider form's data: defaults per kind, checks, the redirect URI to register, and the NewProvider sent.
import type { Key } from "../i18n";
import type { Kind } from "../kinds";
import type { NewProvider } from "../types";

export const AIHUBMIX_BASE = "https://aihubmix.com";
/** The fixed loopback port a Feishu app registers (the engine's default for Feishu). */
export const FEISHU_PORT = "53682";

export interface ProviderDraft {
  kind: Kind;
  name: string;
  clientId: string;
  clientSecret: string;
  /** OIDC */
  issuer: string;
  /** OIDC: space-separated; empty = the engine's default. */
  scopes: string;
  /** AIHubMix */
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
}

export type DraftField = "name" | "clientId" | "clientSecret" | "issuer" | "baseUrl" | "port" | "host" | "orgName" | "appName" | "ttl";
export type Invalid = Partial<Record<DraftField, Key>>;

export function newDraft(kind: Kind = "aihubmix"): ProviderDraft {
  const draft: ProviderDraft = {
    kind,
    name: "",
    clientId: "",
    clientSecret: "",
    issuer: "",
    scopes: "",
    baseUrl: AIHUBMIX_BASE,
    redirect: "deep-link",
    port: "",
    brand: "feishu",
    tokenVersion: "v2",
    host: "",
    orgName: "",
    appName: "",
    ttl: "",
    vip5: false,
  };
  return withKind(draft, kind);
}

/** The name a provider of this kind gets unless the person types another. */
export function defaultName(draft: ProviderDraft): string {
  switch (draft.kind) {
    case "google":
      return "google";
    case "feishu":
      return draft.brand;
    case "aihubmix":
      return "aihubmix";
    case "easemob": {
      const app = draft.appName.trim().replace(/[^A-Za-z0-9_-]/g, "-");
      return app ? `easemob-${app}` : "easemob";
    }
    default:
      return "";
  }
}

/** The draft switched to `kind`, with that kind's usual redirect: AIHubMix a deep link, others loopback. */
export function withKind(draft: ProviderDraft, kind: Kind): ProviderDraft {
  const next = { ...draft, kind };
  next.redirect = kind === "aihubmix" ? "deep-link" : "loopback";
  next.port = kind === "feishu" ? FEISHU_PORT : "";
  return next;
}

/** Whether the person chooses between a deep link and a loopback redirect for this kind. */
export const choosesRedirect = (kind: Kind) => kind === "aihubmix" || kind === "oidc" || kind === "feishu";

/** The redirect URI the provider's console must list, as the engine will build it (`*` = any port). */
export function redirectUri(draft: ProviderDraft): string | null {
  if (draft.kind === "easemob") return null;
  const name = draft.name.trim() || "…";
  if (draft.kind !== "google" && draft.redirect === "deep-link") return `signet://oauth/callback/${name}`;
  const port = draft.port.trim() || (draft.kind === "feishu" ? FEISHU_PORT : "*");
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
  if (draft.kind === "easemob") {
    if (!/^\S+$/.test(draft.host.trim()) || !isUrl(easemobBase(draft.host))) invalid.host = "easemob.invalidHost";
    if (!NAME.test(draft.orgName.trim())) invalid.orgName = "easemob.invalidName";
    if (!NAME.test(draft.appName.trim())) invalid.appName = "easemob.invalidName";
    if (draft.clientSecret && !draft.clientId.trim()) invalid.clientId = "providerForm.invalidEasemobSecret";
    if (draft.ttl.trim() && !/^\d+$/.test(draft.ttl.trim())) invalid.ttl = "easemob.invalidTtl";
  } else if (!draft.clientId.trim()) {
    invalid.clientId = "providerForm.invalidClientId";
  }
  if (draft.kind === "oidc" && !isUrl(draft.issuer.trim())) invalid.issuer = "providerForm.invalidUrl";
  if (draft.kind === "aihubmix" && draft.baseUrl.trim() && !isUrl(draft.baseUrl.trim())) invalid.baseUrl = "providerForm.invalidUrl";
  const p = Number(draft.port);
  if (choosesRedirect(draft.kind) && draft.redirect === "loopback" && draft.port.trim() && !(Number.isInteger(p) && p >= 1024 && p <= 65535)) {
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
export function draftFrom(entry: NewProvider): ProviderDraft {
  const kind = entry.kind as Kind;
  const base = newDraft(kind);
  return {
    ...base,
    name: entry.name,
    clientId: entry.clientId,
    issuer: entry.issuer ?? "",
    scopes: (entry.scopes ?? []).join(" "),
    baseUrl: kind === "aihubmix" ? (entry.baseUrl ?? AIHUBMIX_BASE) : base.baseUrl,
    redirect: entry.redirect === "deep-link" || entry.redirect === "loopback" ? entry.redirect : base.redirect,
    port: entry.redirectPort ? String(entry.redirectPort) : base.port,
    brand: entry.brand === "lark" ? "lark" : "feishu",
    tokenVersion: entry.tokenVersion === "v3" ? "v3" : "v2",
    host: kind === "easemob" ? (entry.baseUrl ?? "").replace(/^https:\/\//, "") : "",
    orgName: entry.orgName ?? "",
    appName: entry.appName ?? "",
    ttl: entry.ttl != null ? String(entry.ttl) : "",
    vip5: entry.vip5 ?? false,
  };
}

/** The change to send for an edited draft: as [`toNewProvider`], and a field emptied is sent
 * empty, so the engine removes it and its default applies again. */
export function toChange(draft: ProviderDraft): NewProvider {
  const p = toNewProvider(draft);
  if (draft.kind === "oidc" && !p.scopes) p.scopes = [];
  if (p.redirect === "loopback" && p.redirectPort === undefined) p.redirectPort = 0;
  return p;
}

/** The provider to add: only the fields that matter for its kind, nothing empty. */
export function toNewProvider(draft: ProviderDraft): NewProvider {
  const p: NewProvider = { name: draft.name.trim(), kind: draft.kind, clientId: draft.clientId.trim() };
  if (draft.clientSecret) p.clientSecret = draft.clientSecret;
  switch (draft.kind) {
    case "google":
      p.redirect = "loopback";
      return p;
    case "easemob":
      p.baseUrl = easemobBase(draft.host);
      p.orgName = draft.orgName.trim();
      p.appName = draft.appName.trim();
      if (draft.ttl.trim()) p.ttl = Number(draft.ttl.trim());
      if (draft.vip5) p.vip5 = true;
      return p;
    case "feishu":
      p.brand = draft.brand;
      p.tokenVersion = draft.tokenVersion;
      break;
    case "aihubmix":
      p.baseUrl = draft.baseUrl.trim() || AIHUBMIX_BASE;
      break;
    case "oidc": {
      p.issuer = draft.issuer.trim();
      const scopes = draft.scopes.split(/[\s,]+/).filter(Boolean);
      if (scopes.length > 0) p.scopes = scopes;
      break;
    }
  }
  p.redirect = draft.redirect;
  if (draft.redirect === "loopback" && draft.port.trim()) p.redirectPort = Number(draft.port.trim());
  return p;
}
