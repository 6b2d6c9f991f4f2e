// Words for provider kinds and Feishu's two brands (Feishu in China, Lark elsewhere).
import { t, type Key } from "./i18n";

/** The kinds a provider can be, in the order Settings offers them. */
export const KINDS = ["google", "feishu", "aihubmix", "easemob", "oidc"] as const;
export type Kind = (typeof KINDS)[number];

const KIND_LABELS: Record<Kind, Key> = {
  google: "kind.google",
  feishu: "kind.feishu",
  aihubmix: "kind.aihubmix",
  easemob: "kind.easemob",
  oidc: "kind.oidc",
};

/** "Feishu" or "Lark"; null for anything else. */
export function brandLabel(brand: unknown): string | null {
  if (brand === "feishu") return t("brand.feishu");
  if (brand === "lark") return t("brand.lark");
  return null;
}

/** A provider kind for a person: a Feishu provider says which brand it is when it knows. */
export function kindLabel(kind: string, brand?: unknown): string {
  if (kind === "feishu") return brandLabel(brand) ?? t("kind.feishu");
  return kind in KIND_LABELS ? t(KIND_LABELS[kind as Kind]) : kind;
}
