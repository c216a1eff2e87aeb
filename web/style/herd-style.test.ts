import { describe, expect, it } from 'vitest';
import { herdCountStatus, herdLabel } from './herd-style.ts';

describe('herd count against the pledge', () => {
  it('is complete at or above the pledge, short below it, unknown without a count', () => {
    expect(herdCountStatus(110, 110)).toBe('complete');
    expect(herdCountStatus(111, 110)).toBe('complete');
    expect(herdCountStatus(109, 110)).toBe('short');
    expect(herdCountStatus(null, 110)).toBe('unknown');
  });

  it('says the count in words with a mark, so colour is not the only cue', () => {
    expect(herdLabel('H-KRT-02', 98, 110)).toBe('H-KRT-02 ! 98 / 110 head');
    expect(herdLabel('H-KRT-02', 110, 110)).toBe('H-KRT-02 ✓ 110 / 110 head');
    expect(herdLabel('H-KRT-02', null, 110)).toBe('H-KRT-02 ? ? / 110 head');
  });
});
