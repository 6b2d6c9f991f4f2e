// Which profile fields each provider kind shows, in what order, with which label and format.
import { dateOnly, dateTime } from "../format";
import { t, type Key } from "../i18n";
import { brandLabel } from "../kinds";
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

/** Each kind's known fields, in the order shown; others follow under their own key. */
const FIELDS: Record<string, Field[]> = {
  google: [
    { key: "domain", label: "profile.workspaceDomain" },
    { key: "sub", label: "profile.sub" },
  ],
  feishu: [
    { key: "brand", label: "profile.brand", format: (v) => ({ value: brandLabel(v) ?? String(v) }) },
    { key: "enName", label: "profile.enName" },
    { key: "enterpriseEmail", label: "profile.enterpriseEmail" },
    { key: "employeeNo", label: "profile.employeeNo" },
    { key: "userId", label: "profile.userId" },
    { key: "openId", label: "profile.openId" },
    { key: "unionId", label: "profile.unionId" },
    { key: "tenantKey", label: "profile.tenantKey" },
  ],
  aihubmix: [
    { key: "username", label: "profile.username" },
    // one-api's user status, which AIHubMix reports: 1 enabled, 2 disabled.
    {
      key: "status",
      label: "profile.status",
      format: (v) =>
        v === 1 ? { value: t("profile.active") } : v === 2 ? { value: t("profile.disabled"), warn: true } : { value: String(v) },
    },
    { key: "createdTime", label: "profile.createdTime", format: date },
  ],
  easemob: [
    { key: "appKey", label: "profile.appKey" },
    { key: "host", label: "profile.host" },
    { key: "username", label: "profile.userId" },
    { key: "nickname", label: "profile.nickname" },
    {
      key: "activated",
      label: "profile.activated",
      format: (v) => (typeof v === "boolean" ? { value: v ? t("profile.active") : t("profile.banned"), warn: !v } : null),
    },
    { key: "uuid", label: "profile.uuid" },
    { key: "created", label: "profile.createdTime", format: moment },
    { key: "modified", label: "profile.modified", format: moment },
  ],
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
