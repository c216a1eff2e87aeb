import type { UnvaluedReason } from '../api.ts';

/**
 * How the loan panel writes money, areas and the reasons an item is not valued. Pure, so the
 * browser test can check the panel's text against the API's figures.
 */

const moneyFormats = new Map<string, Intl.NumberFormat>();

/** `€12,345.67`: the amount in the loan's currency, to the cent. */
export function formatMoney(amount: number, currency: string): string {
  let format = moneyFormats.get(currency);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-GB', {
      style: 'currency',
      currency,
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    });
    moneyFormats.set(currency, format);
  }
  return format.format(amount);
}

/** `4.21 ha`, or `—` when there is no area. */
export function formatHectares(areaM2: number | null): string {
  return areaM2 === null ? '—' : `${(areaM2 / 10_000).toFixed(2)} ha`;
}

const unvaluedTexts: Readonly<Record<UnvaluedReason, string>> = {
  no_declared_crop: 'no declared crop',
  no_yield: 'no expected yield for the crop',
  no_price: 'no price for the crop',
  no_value_per_head: 'no value per head',
  currency_mismatch: 'valued in another currency than the loan',
};

/** Why an item adds nothing to the collateral, in words. */
export function unvaluedText(reason: UnvaluedReason | null): string {
  return `not valued: ${reason === null ? 'no value' : unvaluedTexts[reason]}`;
}

/** A row's value cell: the amount, or why there is none. */
export function valueText(
  value: number | null,
  reason: UnvaluedReason | null,
  currency: string,
): string {
  return value === null ? unvaluedText(reason) : formatMoney(value, currency);
}
