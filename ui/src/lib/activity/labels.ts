// Words for activity log kinds and outcomes, one for every value the engine's generated types name
// (a missing one is a type error); a line from an older Signet with another word shows it as sent.
import { t, type Key } from "../i18n";
import type { ActivityKind } from "../bindings/ActivityKind";
import type { ActivityOutcome } from "../bindings/ActivityOutcome";

export const KIND_LABELS: Record<ActivityKind, Key> = {
  sign_in: "activity.kind.sign_in",
  refresh: "activity.kind.refresh",
  remove: "activity.kind.remove",
  remove_provider: "activity.kind.remove_provider",
  create_space: "activity.kind.create_space",
  send_message: "activity.kind.send_message",
  agent_request: "activity.kind.agent_request",
};

export const OUTCOME_LABELS: Record<ActivityOutcome, Key> = {
  ok: "activity.outcome.ok",
  failed: "activity.outcome.failed",
  refused: "activity.outcome.refused",
  refreshed: "activity.outcome.refreshed",
  keyring_recovered: "activity.outcome.keyring_recovered",
  retrying: "activity.outcome.retrying",
  reauth: "activity.outcome.reauth",
  setup: "activity.outcome.setup",
  revoked: "activity.outcome.revoked",
  not_revoked: "activity.outcome.not_revoked",
};

export function activityKind(kind: string): string {
  return Object.prototype.hasOwnProperty.call(KIND_LABELS, kind) ? t(KIND_LABELS[kind as ActivityKind]) : kind;
}

export function activityOutcome(outcome: string): string {
  return Object.prototype.hasOwnProperty.call(OUTCOME_LABELS, outcome)
    ? t(OUTCOME_LABELS[outcome as ActivityOutcome])
    : outcome;
}
