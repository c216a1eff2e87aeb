import { describe, expect, it } from 'vitest';
import { median, summarizeGroup } from './stats.ts';
import type { Sample } from './types.ts';

function samples(...rates: number[]): Sample[] {
  return rates.map((perSecond, i) => ({
    repetition: i + 1,
    count: 1_000,
    elapsedMs: 1_000_000 / perSecond,
    perSecond,
    stoppedByTimeCap: false,
  }));
}

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is null for no values', () => {
    expect(median([])).toBeNull();
  });
});

describe('summarizeGroup', () => {
  it('reports each median as a ratio of the baseline median', () => {
    const group = summarizeGroup('g', 'base', [
      { id: 'base', label: 'baseline', samples: samples(90, 100, 300) },
      { id: 'fast', label: 'fast', samples: samples(1_000, 800, 1_200) },
    ]);
    expect(
      group.cases.map((c) => [c.id, c.isBaseline, c.medianPerSecond, c.ratioToBaseline]),
    ).toEqual([
      ['base', true, 100, 1],
      ['fast', false, 1_000, 10],
    ]);
    expect(group.cases[1]).toMatchObject({ minPerSecond: 800, maxPerSecond: 1_200 });
  });

  it('leaves the ratio empty for a case or baseline without samples', () => {
    const group = summarizeGroup('g', 'base', [
      { id: 'base', label: 'baseline', samples: [] },
      { id: 'other', label: 'other', samples: samples(5) },
    ]);
    expect(group.cases.map((c) => c.ratioToBaseline)).toEqual([null, null]);
    expect(group.cases[0]?.medianPerSecond).toBeNull();
  });

  it('names a baseline that is not among the cases', () => {
    expect(() => summarizeGroup('g', 'missing', [])).toThrow(/baseline case missing/);
  });
});
