// Pure helpers for the chat panel: scope names, recipient kind labels and placeholders, send times.
import { t, type Key } from "../i18n";

/** The readable part of a scope: the last path segment of a URL scope (`chat.messages.create`). */
export function scopeName(scope: string): string {
  const trimmed = scope.replace(/\/+$/, "");
  return /^https?:\/\//.test(trimmed) ? trimmed.slice(trimmed.lastIndexOf("/") + 1) : scope;
}

const KIND_LABELS: Record<string, Key> = {
  space: "chat.kind.space",
  open_id: "chat.kind.open_id",
  user_id: "chat.kind.user_id",
  union_id: "chat.kind.union_id",
  email: "chat.kind.email",
  chat_id: "chat.kind.chat_id",
  user: "chat.kind.user",
};

/** Words for a recipient kind; an unknown kind is shown as the engine sent it. */
export function recipientKindLabel(kind: string): string {
  return kind in KIND_LABELS ? t(KIND_LABELS[kind]) : kind;
}

const PLACEHOLDERS: Record<string, string> = {
  space: "spaces/AAAA…",
  open_id: "ou_…",
  union_id: "on_…",
  chat_id: "oc_…",
  email: "name@example.com",
};

/** An example of what an id of this kind looks like (ids are not words: not translated). */
export function recipientPlaceholder(kind: string): string {
  return PLACEHOLDERS[kind] ?? "";
}

/**
 * When the provider says a message was created, as unix ms: RFC 3339 (Google), a millisecond or
 * second count as a string (Feishu, Easemob). Anything unreadable or absent gives `fallback`.
 */
export function sentTime(created: string | null, fallback: number): number {
  if (!created) return fallback;
  const text = created.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n < 1e12 ? n * 1000 : n;
  }
  const parsed = Date.parse(text);
  return Number.isNaN(parsed) ? fallback : parsed;
}

/** Whether a command failed because a permission has not been granted yet. */
export function isScopeMissing(error: unknown): boolean {
  return !!error && typeof error === "object" && (error as { code?: unknown }).code === "scope_missing";
}
