import { describe, expect, it } from 'vitest';
import {
  dayOf,
  isParcelInSeason,
  settingValidOn,
  totalCollateral,
  valuedAreaOf,
  valueHerd,
  valueParcel,
} from './valuation.ts';

const eur = (pricePerTonne: number, currency = 'EUR') => ({ pricePerTonne, currency });

describe('settingValidOn', () => {
  const prices = [
    { validFrom: '2025-07-01', value: 185 },
    { validFrom: '2024-01-01', value: 200 },
  ];
  it('takes the latest validFrom on or before the day, in any input order', () => {
    expect(settingValidOn(prices, '2023-12-31')).toBeNull();
    expect(settingValidOn(prices, '2024-01-01')?.value).toBe(200);
    expect(settingValidOn(prices, '2025-06-30')?.value).toBe(200);
    expect(settingValidOn(prices, '2025-07-01')?.value).toBe(185);
    expect(settingValidOn([], '2025-07-01')).toBeNull();
  });
  it('uses the UTC day of a moment', () => {
    expect(dayOf(new Date('2025-07-01T01:00:00+02:00'))).toBe('2025-06-30');
    expect(dayOf(new Date('2025-06-30T23:59:59.999Z'))).toBe('2025-06-30');
    expect(dayOf(new Date('2025-07-01T00:00:00Z'))).toBe('2025-07-01');
  });
});

describe('isParcelInSeason', () => {
  it('keeps a parcel through its season end day, not after', () => {
    expect(isParcelInSeason('2026-08-15', '2026-08-15')).toBe(true);
    expect(isParcelInSeason('2026-08-15', '2026-08-16')).toBe(false);
    expect(isParcelInSeason(null, '2099-01-01')).toBe(true);
  });
});

describe('valuedAreaOf', () => {
  it('prefers the observed area (even 0), then the declared, then the parcel area', () => {
    expect(valuedAreaOf({ observedAreaM2: 0, declaredAreaM2: 9000, areaM2: 10_000 })).toEqual({
      valuedAreaM2: 0,
      areaSource: 'observed',
    });
    expect(valuedAreaOf({ observedAreaM2: null, declaredAreaM2: 9000.4, areaM2: 1 })).toEqual({
      valuedAreaM2: 9000,
      areaSource: 'declared',
    });
    expect(valuedAreaOf({ observedAreaM2: null, declaredAreaM2: null, areaM2: 10_000.6 })).toEqual({
      valuedAreaM2: 10_001,
      areaSource: 'parcel',
    });
  });
});

describe('valueParcel', () => {
  const base = {
    valuedAreaM2: 123_456,
    declaredCropCode: 1110,
    loanCurrency: 'EUR',
    yield: { validFrom: '2024-01-01', value: 8.8 },
    price: { validFrom: '2025-07-01', value: eur(185) },
  };
  it('is ha x t/ha x price, to the cent, with the settings used', () => {
    expect(valueParcel(base)).toEqual({
      tonnesPerHa: 8.8,
      yieldValidFrom: '2024-01-01',
      pricePerTonne: 185,
      priceCurrency: 'EUR',
      priceValidFrom: '2025-07-01',
      value: Math.round(12.3456 * 8.8 * 185 * 100) / 100,
      unvaluedReason: null,
    });
  });
  it('names why a parcel is unvalued, in rule order', () => {
    expect(valueParcel({ ...base, declaredCropCode: null }).unvaluedReason).toBe(
      'no_declared_crop',
    );
    expect(valueParcel({ ...base, yield: null, price: null }).unvaluedReason).toBe('no_yield');
    expect(valueParcel({ ...base, price: null }).unvaluedReason).toBe('no_price');
    const usd = valueParcel({
      ...base,
      price: { validFrom: '2025-07-01', value: eur(185, 'USD') },
    });
    expect(usd).toMatchObject({ value: null, unvaluedReason: 'currency_mismatch' });
    expect(usd.priceCurrency).toBe('USD');
  });
  it('values a zero area or a zero price at 0, not as unvalued', () => {
    expect(valueParcel({ ...base, valuedAreaM2: 0 })).toMatchObject({
      value: 0,
      unvaluedReason: null,
    });
    expect(valueParcel({ ...base, price: { validFrom: '2024-01-01', value: eur(0) } }).value).toBe(
      0,
    );
  });
});

describe('valueHerd', () => {
  const portfolioValue = {
    validFrom: '2025-07-01',
    value: { valuePerHead: 1900, currency: 'EUR' },
  };
  it('prefers the herd’s own value per head over the portfolio’s', () => {
    expect(
      valueHerd({
        countedHeadCount: 37,
        loanCurrency: 'EUR',
        herdValuePerHead: 1850,
        herdCurrency: null,
        portfolioValue,
      }),
    ).toEqual({
      valuePerHead: 1850,
      valueCurrency: 'EUR',
      valueSource: 'herd',
      valueValidFrom: null,
      value: 37 * 1850,
      unvaluedReason: null,
    });
    expect(
      valueHerd({
        countedHeadCount: 37,
        loanCurrency: 'EUR',
        herdValuePerHead: null,
        herdCurrency: 'EUR',
        portfolioValue,
      }),
    ).toMatchObject({ valueSource: 'portfolio', valueValidFrom: '2025-07-01', value: 37 * 1900 });
  });
  it('is unvalued without a value per head or in another currency; 0 head is worth 0', () => {
    const none = { countedHeadCount: 5, loanCurrency: 'EUR', herdCurrency: null };
    expect(
      valueHerd({ ...none, herdValuePerHead: null, portfolioValue: null }).unvaluedReason,
    ).toBe('no_value_per_head');
    expect(
      valueHerd({ ...none, herdValuePerHead: 1000, herdCurrency: 'GBP', portfolioValue: null }),
    ).toMatchObject({ value: null, unvaluedReason: 'currency_mismatch', valueSource: 'herd' });
    expect(
      valueHerd({
        ...none,
        herdValuePerHead: null,
        portfolioValue: { validFrom: '2024-01-01', value: { valuePerHead: 10, currency: 'CHF' } },
      }).unvaluedReason,
    ).toBe('currency_mismatch');
    expect(
      valueHerd({ ...none, countedHeadCount: 0, herdValuePerHead: 1000, portfolioValue: null })
        .value,
    ).toBe(0);
  });
});

describe('totalCollateral', () => {
  it('sums to the cent, lists the unvalued and rounds the ratio to 3 decimals', () => {
    const totals = totalCollateral(
      [
        { code: 'P-1', value: 100.005 },
        { code: 'P-2', value: null },
      ],
      [{ code: 'H-1', value: 200 }],
      150,
    );
    expect(totals).toEqual({
      cropValue: 100.01,
      herdValue: 200,
      totalValue: 300.01,
      coverageRatio: 2,
      unvalued: ['parcel P-2'],
    });
    expect(totalCollateral([{ code: 'P', value: 1 }], [], 3).coverageRatio).toBe(0.333);
    expect(totalCollateral([{ code: 'P', value: 2 }], [], 3).coverageRatio).toBe(0.667);
  });
  it('has no ratio for a zero balance', () => {
    expect(totalCollateral([{ code: 'P', value: 1 }], [], 0).coverageRatio).toBeNull();
    expect(totalCollateral([], [], 10).coverageRatio).toBe(0);
  });
});
