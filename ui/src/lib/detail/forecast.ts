// The balance forecast in words: days left at the recent rate, the period the rate is read from.
import { t } from "../i18n";
import type { BalanceForecast } from "../types";

/** "the last 7 days" / "the last 5 hours": the period a forecast's rate is read from. */
export function basisText(basisDays: number): string {
  return basisDays >= 1
    ? t("balance.basisDays", { n: Math.round(basisDays) })
    : t("balance.basisHours", { n: Math.max(1, Math.round(basisDays * 24)) });
}

/** One sentence for the forecast; `money` formats an amount as the balance is shown. */
export function forecastText(forecast: BalanceForecast | null, money: (n: number) => string): string {
  if (!forecast) return t("balance.forecastUnknown");
  const basis = basisText(forecast.basisDays);
  if (forecast.daysLeft === null) return t("balance.forecastNone", { basis });
  const perDay = money(forecast.spentPerDay);
  return forecast.daysLeft < 1
    ? t("balance.lessThanDay", { basis, perDay })
    : t("balance.daysLeft", { n: Math.floor(forecast.daysLeft), basis, perDay });
}
