import { describe, expect, it } from 'vitest';
import { clearMaskFromScl, DEFAULT_EXCLUDED_SCL_CLASSES, sclExclusionTable } from './scl-mask.ts';

describe('SCL masking', () => {
  it('excludes nodata, defective, shadow, clouds, cirrus and snow by default', () => {
    const classes = Uint8Array.from({ length: 12 }, (_, k) => k);
    expect([...clearMaskFromScl(classes)]).toEqual([0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(DEFAULT_EXCLUDED_SCL_CLASSES).toEqual([0, 1, 3, 8, 9, 10, 11]);
  });

  it('takes the excluded classes from the caller', () => {
    expect([...clearMaskFromScl([4, 5, 7, 2], [7])]).toEqual([1, 1, 0, 1]);
  });

  it('rejects a class that is not 0-255, naming it', () => {
    expect(() => sclExclusionTable([3, 256])).toThrow(/256 is not an SCL class 0-255/);
    expect(() => sclExclusionTable([1.5])).toThrow(/1.5/);
  });
});
