// Which profile fields each provider kind shows, in what order, with which label and format: one
// label per field of the provider's profile type, generated from the engine (bindings/*Profile.ts).
import { dateOnly, dateTime } from "../format";
import { t, type Key } from "../i18n";
import { brandLabel } from "../kinds";
import type { AihubmixProfile } from "../bindings/AihubmixProfile";
import type { EasemobProfile } from "../bindings/EasemobProfile";
import type { FeishuProfile } from "../bindings/FeishuProfile";
import type { GoogleProfile } from "../bindings/GoogleProfile";
import type { OidcProfile } from "../bindings/OidcProfile";
import type { AccountView } from "../types";

export interface ProfileRow {
  key: string;
  label: string;
  value: string;
  /** Worth a second look (e.g. a banned Easemob user). */
  warn?: boolean;
}

interface Field {
  key: string;
  label: Key;
  format?: (value: unknown) => Omit<ProfileRow, "key" | "label"> | null;
}

/** Unix seconds or milliseconds (anything this large is already milliseconds). */
const asMs = (value: number) => (value < 1e12 ? value * 1000 : value);

const date = (value: unknown) => (typeof value === "number" && value > 0 ? { value: dateOnly(asMs(value)) } : null);
const moment = (value: unknown) => (typeof value === "number" && value > 0 ? { value: dateTime(asMs(value)) } : null);

/** A label (and format) for every field of a provider's generated profile type, in the order
 * shown; `null` for a field shown elsewhere. A field the engine adds without one here is a type
 * error, not an unlabelled row. */
type Labels<T> = { [K in keyof Required<T>]: Omit<Field, "key"> | null };

function fields<T>(labels: Labels<T>): Field[] {
  return Object.entries(labels as Record<string, Omit<Field, "key"> | null>).flatMap(([key, f]) => (f ? [{ key, ...f }] : []));
}

const OIDC: Labels<OidcProfile> = {
  domain: { label: "profile.domain" },
  // The badge by the e-mail.
  emailVerified: null,
};

/** Each kind's known fields, in the order shown; others follow under their own key. */
const FIELDS: Record<string, Field[]> = {
  google: fields<GoogleProfile>({
    domain: { label: "profile.workspaceDomain" },
    sub: { label: "profile.sub" },
    emailVerified: null,
  }),
  feishu: fields<FeishuProfile>({
    brand: { label: "profile.brand", format: (v) => ({ value: brandLabel(v) ?? String(v) }) },
    enName: { label: "profile.enName" },
    enterpriseEmail: { label: "profile.enterpriseEmail" },
    employeeNo: { label: "profile.employeeNo" },
    userId: { label: "profile.userId" },
    openId: { label: "profile.openId" },
    unionId: { label: "profile.unionId" },
    tenantKey: { label: "profile.tenantKey" },
  }),
  aihubmix: fields<AihubmixProfile>({
    username: { label: "profile.username" },
    // one-api's user status, which AIHubMix reports: 1 enabled, 2 disabled.
    status: {
      label: "profile.status",
      format: (v) =>
        v === 1 ? { value: t("profile.active") } : v === 2 ? { value: t("profile.disabled"), warn: true } : { value: String(v) },
    },
    createdTime: { label: "profile.createdTime", format: date },
  }),
  easemob: fields<EasemobProfile>({
    appKey: { label: "profile.appKey" },
    host: { label: "profile.host" },
    username: { label: "profile.userId" },
    nickname: { label: "profile.nickname" },
    activated: {
      label: "profile.activated",
      format: (v) => (typeof v === "boolean" ? { value: v ? t("profile.active") : t("profile.banned"), warn: !v } : null),
    },
    uuid: { label: "profile.uuid" },
    created: { label: "profile.createdTime", format: moment },
    modified: { label: "profile.modified", format: moment },
  }),
  oidc: fields<OidcProfile>(OIDC),
};

/** Labels for keys a provider of an unknown kind may send (the engine's older generic fields). */
const GENERIC: Record<string, Field> = {
  username: { key: "username", label: "profile.username" },
  status: { key: "status", label: "profile.status" },
  createdTime: { key: "createdTime", label: "profile.createdTime", format: date },
  emailVerified: { key: "emailVerified", label: "profile.emailVerified" },
  domain: { key: "domain", label: "profile.domain" },
};

function plain(value: unknown): string {
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (typeof value === "string" || typeof value === "number") return String(value);
  return JSON.stringify(value);
}

const present = (value: unknown) => value !== null && value !== undefined && value !== "";

/** Whether the e-mail is verified, when the provider says so (a badge next to the e-mail). */
export function emailVerified(account: AccountView): boolean | null {
  const value = account.profile?.emailVerified;
  return account.email && typeof value === "boolean" ? value : null;
}

/** The profile rows to show for an account: known fields first, nulls and empties left out. */
export function profileRows(account: AccountView): ProfileRow[] {
  const profile = account.profile ?? {};
  const known = FIELDS[account.providerKind] ?? [];
  const rows: ProfileRow[] = [];
  const row = (field: Field, value: unknown, label = t(field.label)) => {
    const shown = field.format ? field.format(value) : { value: plain(value) };
    if (shown) rows.push({ key: field.key, label, ...shown });
  };
  for (const field of known) {
    if (present(profile[field.key])) row(field, profile[field.key]);
  }
  const done = new Set(known.map((f) => f.key));
  // Shown as a badge by the e-mail instead.
  if (emailVerified(account) !== null) done.add("emailVerified");
  for (const [key, value] of Object.entries(profile)) {
    if (done.has(key) || !present(value)) continue;
    if (key in GENERIC) row(GENERIC[key], value);
    else rows.push({ key, label: key, value: plain(value) });
  }
  return rows;
}
