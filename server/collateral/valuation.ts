/**
 * The valuation rules of a loan's collateral, as pure functions: the collateral API, the coverage
 * series, the post-loan report and the coverage alert all value through here, so they cannot
 * disagree.
 *
 * Rules (issue 8, "Collateral view per loan"):
 * - The **day** of a moment `at` is its UTC calendar date. A dated setting (crop price, crop
 *   yield, livestock value) is **valid that day** when it is the row with the latest
 *   `valid_from <= day` for its crop or species.
 * - **Parcel value** = valued area (ha) x expected yield (t/ha) x price (per t) of the parcel's
 *   DECLARED crop, yield and price valid on the day, rounded to the cent. The **valued area** is
 *   the latest observed planted area at or before `at` (`parcel_observations`), else the declared
 *   area, else the parcel's own area (`areaSource` says which), rounded to the m². A parcel whose
 *   season ended before the day is no collateral any more and is left out.
 * - **Herd value** = counted head at `at` x value per head: the herd's own `value_per_head` when
 *   set (`valueSource` 'herd', in the herd's currency, or the loan's when the herd has none),
 *   else the portfolio value for its species valid on the day ('portfolio').
 * - A price or value in another currency than the loan's makes the item **unvalued** with reason
 *   `currency_mismatch` (there is no FX conversion). So does a missing declared crop, yield,
 *   price or value per head. Unvalued items count 0 and are listed in `unvalued`.
 * - **coverageRatio** = totalValue / balance rounded to 3 decimals; null when the balance is 0.
 *
 * Counting heads (`head-count-at.ts`) and reading the balance history (`loan-collateral.ts`)
 * happen elsewhere; this file only does the arithmetic and picks the settings.
 */
import type { CollateralHerd, CollateralParcel, UnvaluedReason } from './types.ts';

/** A dated portfolio setting: the row valid from `validFrom` (YYYY-MM-DD) until the next one. */
export interface DatedSetting<T> {
  readonly validFrom: string;
  readonly value: T;
}

/** The UTC calendar day of a moment, `YYYY-MM-DD`: the day whose settings value it. */
export function dayOf(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The setting valid on `day`: the one with the latest `validFrom <= day`, or null.
 *
 * @example settingValidOn([{ validFrom: '2024-01-01', value: 1 }, { validFrom: '2025-07-01', value: 2 }], '2025-06-30') // value 1
 */
export function settingValidOn<T>(
  settings: ReadonlyArray<DatedSetting<T>>,
  day: string,
): DatedSetting<T> | null {
  let best: DatedSetting<T> | null = null;
  for (const setting of settings) {
    if (setting.validFrom <= day && (best === null || setting.validFrom > best.validFrom)) {
      best = setting;
    }
  }
  return best;
}

/** Whether a parcel still counts as collateral on `day`: its season has not ended before it. */
export function isParcelInSeason(seasonEnd: string | null, day: string): boolean {
  return seasonEnd === null || seasonEnd >= day;
}

/** The area a parcel is valued by, in m² (rounded), and where it comes from. */
export function valuedAreaOf(parcel: {
  readonly observedAreaM2: number | null;
  readonly declaredAreaM2: number | null;
  readonly areaM2: number;
}): { valuedAreaM2: number; areaSource: CollateralParcel['areaSource'] } {
  if (parcel.observedAreaM2 !== null) {
    return { valuedAreaM2: Math.round(parcel.observedAreaM2), areaSource: 'observed' };
  }
  if (parcel.declaredAreaM2 !== null) {
    return { valuedAreaM2: Math.round(parcel.declaredAreaM2), areaSource: 'declared' };
  }
  return { valuedAreaM2: Math.round(parcel.areaM2), areaSource: 'parcel' };
}

export interface ParcelValuationInput {
  readonly valuedAreaM2: number;
  readonly declaredCropCode: number | null;
  readonly loanCurrency: string;
  readonly yield: DatedSetting<number> | null;
  readonly price: DatedSetting<{ pricePerTonne: number; currency: string }> | null;
}

export type ParcelValuation = Pick<
  CollateralParcel,
  | 'tonnesPerHa'
  | 'yieldValidFrom'
  | 'pricePerTonne'
  | 'priceCurrency'
  | 'priceValidFrom'
  | 'value'
  | 'unvaluedReason'
>;

/**
 * A parcel's value: area (ha) x yield (t/ha) x price (per t), to the cent, or null with the
 * reason. The yield and price shown are the ones found, even when the parcel stays unvalued.
 *
 * @example valueParcel({ valuedAreaM2: 100_000, declaredCropCode: 1110, loanCurrency: 'EUR',
 *   yield: { validFrom: '2024-01-01', value: 8 },
 *   price: { validFrom: '2024-01-01', value: { pricePerTonne: 200, currency: 'EUR' } } }).value // 16000
 */
export function valueParcel(input: ParcelValuationInput): ParcelValuation {
  const found = {
    tonnesPerHa: input.yield?.value ?? null,
    yieldValidFrom: input.yield?.validFrom ?? null,
    pricePerTonne: input.price?.value.pricePerTonne ?? null,
    priceCurrency: input.price?.value.currency ?? null,
    priceValidFrom: input.price?.validFrom ?? null,
  };
  const unvalued = (reason: UnvaluedReason): ParcelValuation => ({
    ...found,
    value: null,
    unvaluedReason: reason,
  });
  if (input.declaredCropCode === null) return unvalued('no_declared_crop');
  if (input.yield === null) return unvalued('no_yield');
  if (input.price === null) return unvalued('no_price');
  if (input.price.value.currency !== input.loanCurrency) return unvalued('currency_mismatch');
  const value = round2(
    (input.valuedAreaM2 / 10_000) * input.yield.value * input.price.value.pricePerTonne,
  );
  return { ...found, value, unvaluedReason: null };
}

export interface HerdValuationInput {
  readonly countedHeadCount: number;
  readonly loanCurrency: string;
  /** The herd's own appraisal, if any; its currency null means the loan's. */
  readonly herdValuePerHead: number | null;
  readonly herdCurrency: string | null;
  /** The portfolio value for the herd's species valid on the day, if any. */
  readonly portfolioValue: DatedSetting<{ valuePerHead: number; currency: string }> | null;
}

export type HerdValuation = Pick<
  CollateralHerd,
  'valuePerHead' | 'valueCurrency' | 'valueSource' | 'valueValidFrom' | 'value' | 'unvaluedReason'
>;

/**
 * A herd's value: counted head x value per head (the herd's own, else the portfolio's for the
 * species), to the cent, or null with the reason.
 *
 * @example valueHerd({ countedHeadCount: 20, loanCurrency: 'EUR', herdValuePerHead: 1000,
 *   herdCurrency: 'EUR', portfolioValue: null }).value // 20000
 */
export function valueHerd(input: HerdValuationInput): HerdValuation {
  let found: Omit<HerdValuation, 'value' | 'unvaluedReason'>;
  if (input.herdValuePerHead !== null) {
    found = {
      valuePerHead: input.herdValuePerHead,
      valueCurrency: input.herdCurrency ?? input.loanCurrency,
      valueSource: 'herd',
      valueValidFrom: null,
    };
  } else if (input.portfolioValue !== null) {
    found = {
      valuePerHead: input.portfolioValue.value.valuePerHead,
      valueCurrency: input.portfolioValue.value.currency,
      valueSource: 'portfolio',
      valueValidFrom: input.portfolioValue.validFrom,
    };
  } else {
    return {
      valuePerHead: null,
      valueCurrency: null,
      valueSource: null,
      valueValidFrom: null,
      value: null,
      unvaluedReason: 'no_value_per_head',
    };
  }
  if (found.valueCurrency !== input.loanCurrency) {
    return { ...found, value: null, unvaluedReason: 'currency_mismatch' };
  }
  return {
    ...found,
    value: round2(input.countedHeadCount * (found.valuePerHead ?? 0)),
    unvaluedReason: null,
  };
}

export interface CollateralTotals {
  readonly cropValue: number;
  readonly herdValue: number;
  readonly totalValue: number;
  readonly coverageRatio: number | null;
  readonly unvalued: string[];
}

/**
 * Sums the valued items and relates them to the balance. Unvalued items add 0 and are named.
 *
 * @example totalCollateral([{ code: 'P-1', value: 16000 }], [{ code: 'H-1', value: 20000 }], 30000).coverageRatio // 1.2
 */
export function totalCollateral(
  parcels: ReadonlyArray<{ readonly code: string; readonly value: number | null }>,
  herds: ReadonlyArray<{ readonly code: string; readonly value: number | null }>,
  balance: number,
): CollateralTotals {
  const cropValue = round2(parcels.reduce((sum, p) => sum + (p.value ?? 0), 0));
  const herdValue = round2(herds.reduce((sum, h) => sum + (h.value ?? 0), 0));
  const totalValue = round2(cropValue + herdValue);
  return {
    cropValue,
    herdValue,
    totalValue,
    coverageRatio: balance > 0 ? Math.round((totalValue / balance) * 1000) / 1000 : null,
    unvalued: [
      ...parcels.filter((p) => p.value === null).map((p) => `parcel ${p.code}`),
      ...herds.filter((h) => h.value === null).map((h) => `herd ${h.code}`),
    ],
  };
}

/** Money to the cent. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
