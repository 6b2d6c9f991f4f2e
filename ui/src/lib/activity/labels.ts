// Words for activity log kinds and outcomes; unknown ones are shown as the engine sent them.
import { t, type Key } from "../i18n";

const KINDS: Record<string, Key> = {
  sign_in: "activity.kind.sign_in",
  refresh: "activity.kind.refresh",
  remove: "activity.kind.remove",
  create_space: "activity.kind.create_space",
  send_message: "activity.kind.send_message",
};

const OUTCOMES: Record<string, Key> = {
  ok: "activity.outcome.ok",
  refreshed: "activity.outcome.refreshed",
  retrying: "activity.outcome.retrying",
  reauth: "activity.outcome.reauth",
  setup: "activity.outcome.setup",
  refused: "activity.outcome.refused",
  failed: "activity.outcome.failed",
  revoked: "activity.outcome.revoked",
};

export function activityKind(kind: string): string {
  return kind in KINDS ? t(KINDS[kind]) : kind;
}

export function activityOutcome(outcome: string): string {
  return outcome in OUTCOMES ? t(OUTCOMES[outcome]) : outcome;
}
