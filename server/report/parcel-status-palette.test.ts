import { describe, expect, it } from 'vitest';
// The web map's own table, read only here: the report keeps a copy because server/ may not
// import web/, and this test is what keeps the copy true.
import { parcelStatuses, patternSvg, statusAppearance } from '../../web/style/parcel-status.ts';
import {
  parcelStatusStyles,
  patternTileSvg,
  reportParcelStatuses,
  reportStatusOf,
} from './parcel-status-palette.ts';

describe('the report’s parcel status palette', () => {
  it('is the web map’s: same statuses, order, colours, patterns, outlines and marks', () => {
    expect(reportParcelStatuses).toEqual(parcelStatuses);
    for (const status of parcelStatuses) {
      expect(parcelStatusStyles[status]).toEqual(statusAppearance(status));
      const tile = patternTileSvg(parcelStatusStyles[status]);
      const webTile = patternSvg(statusAppearance(status));
      expect(
        tile === null
          ? null
          : `<svg xmlns="http://www.w3.org/2000/svg" width="12" height="12">${tile}</svg>`,
      ).toBe(webTile);
    }
  });

  it('draws an unknown or missing status as no observation yet', () => {
    expect(reportStatusOf(null)).toBe('no_observation');
    expect(reportStatusOf('something_new')).toBe('no_observation');
    expect(reportStatusOf('mismatch')).toBe('mismatch');
  });
});
