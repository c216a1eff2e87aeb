import { describe, expect, it } from 'vitest';
import {
  parcelStatuses,
  parcelStatusOf,
  patternDataUrl,
  patternSvg,
  statusAppearance,
} from './parcel-status.ts';

describe('parcel status appearance', () => {
  it('gives every status its own colour, pattern-or-dash, mark and label', () => {
    const all = parcelStatuses.map(statusAppearance);
    expect(new Set(all.map((a) => a.color)).size).toBe(all.length);
    expect(new Set(all.map((a) => a.mark)).size).toBe(all.length);
    expect(new Set(all.map((a) => a.label)).size).toBe(all.length);
    // Not by colour alone: no two statuses share both fill pattern and outline dash.
    expect(new Set(all.map((a) => `${a.pattern}/${a.lineDash.join(',')}`)).size).toBe(all.length);
  });

  it('uses the Okabe-Ito palette', () => {
    const okabeIto = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'];
    for (const status of parcelStatuses) expect(okabeIto).toContain(statusAppearance(status).color);
  });

  it('reads a missing or unknown status as no observation yet', () => {
    expect(parcelStatusOf({})).toBe('no_observation');
    expect(parcelStatusOf({ status: 'bogus' })).toBe('no_observation');
    expect(parcelStatusOf({ status: 42 })).toBe('no_observation');
    expect(parcelStatusOf({ status: 'mismatch' })).toBe('mismatch');
  });

  it('draws patterns as inline SVG data, never a request', () => {
    expect(patternSvg(statusAppearance('verified'))).toBeNull();
    const url = patternDataUrl(statusAppearance('mismatch'));
    expect(url).toMatch(/^data:image\/svg\+xml;charset=utf-8,/);
    expect(decodeURIComponent(url!.split(',')[1]!)).toContain('#D55E00');
  });
});
