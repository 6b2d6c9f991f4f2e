// Words for provider kinds and Feishu's two brands (Feishu in China, Lark elsewhere). Which kinds
// exist comes from the engine (`provider_kinds`); a kind the window has no words for shows the
// engine's own label.
import type { KindView } from "./bindings/KindView";
import { t, type Key } from "./i18n";

const KIND_LABELS: Record<string, Key> = {
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
  return kind in KIND_LABELS ? t(KIND_LABELS[kind]) : kind;
}

/** A kind as the provider form offers it (a generic OpenID Connect provider says so). */
export function kindOption(spec: KindView): string {
  if (spec.kind === "oidc") return t("kind.oidcCustom");
  return spec.kind in KIND_LABELS ? t(KIND_LABELS[spec.kind]) : spec.label;
}
