import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { validatePolygon } from './validate-polygon.ts';
import type { LinearRing, Polygon, Position } from './types.ts';

const feature3 = { featureLabel: 'feature 3' };

function box(w: number, s: number, e: number, n: number): LinearRing {
  return [
    [w, s],
    [e, s],
    [e, n],
    [w, n],
    [w, s],
  ];
}

/** A closed circle of `positions` positions (the closing one included) around [3, 50.8]. */
function circle(positions: number, radiusDeg = 0.01): LinearRing {
  const ring: LinearRing = [];
  for (let i = 0; i < positions - 1; i++) {
    const t = (2 * Math.PI * i) / (positions - 1);
    ring.push([3 + radiusDeg * Math.cos(t), 50.8 + radiusDeg * Math.sin(t)]);
  }
  ring.push([3 + radiusDeg, 50.8]);
  return ring;
}

function problemsOf(geometry: unknown, options = feature3) {
  const result = validatePolygon(geometry, options);
  if (result.ok) throw new Error(`expected problems, got ok with fixes ${result.fixes.join('; ')}`);
  return result.problems;
}

describe('validatePolygon: real bad shapes', () => {
  it('rejects a bow-tie, naming where its edges cross', () => {
    const bowTie = {
      type: 'Polygon',
      coordinates: [
        [
          [3.02, 50.81],
          [3.03, 50.82],
          [3.03, 50.81],
          [3.02, 50.82],
          [3.02, 50.81],
        ],
      ],
    };
    expect(problemsOf(bowTie)).toEqual([
      {
        rule: 'self_intersection',
        path: 'coordinates[0][0]',
        message:
          'feature 3: exterior ring crosses itself at [3.025000, 50.815000] (bow-tie): edge 1 crosses edge 3',
      },
    ]);
  });

  it('rejects an unclosed ring, quoting its first and last positions', () => {
    const unclosed = {
      type: 'Polygon',
      coordinates: [
        [
          [3.02, 50.81],
          [3.03, 50.81],
          [3.03, 50.82],
          [3.02, 50.82],
        ],
      ],
    };
    expect(problemsOf(unclosed)).toEqual([
      {
        rule: 'unclosed_ring',
        path: 'coordinates[0]',
        message:
          'feature 3: exterior ring is not closed: first position [3.02, 50.81] differs from last [3.02, 50.82]',
      },
    ]);
  });

  it('rejects latitude 91 with the position, the value and the range', () => {
    const ring = box(3.02, 50.81, 3.03, 50.82);
    ring[3] = [3.02, 91];
    expect(problemsOf({ type: 'Polygon', coordinates: [ring] })).toEqual([
      {
        rule: 'coordinate_out_of_range',
        path: 'coordinates[0][3]',
        message: 'feature 3: exterior ring position 4 latitude 91 out of range [-90, 90]',
      },
    ]);
  });

  it('rejects a 200 000-vertex polygon from the ring lengths alone, fast', () => {
    const huge: Polygon = { type: 'Polygon', coordinates: [circle(200_000)] };
    const start = performance.now();
    const problems = problemsOf(huge);
    const elapsedMs = performance.now() - start;
    expect(problems).toEqual([
      {
        rule: 'too_many_vertices',
        path: 'coordinates',
        message: 'feature 3: polygon has 200000 vertices, more than the limit of 50000',
      },
    ]);
    // Only ring lengths are read: about 0.1 ms, where checking all 200 000 positions takes about
    // 1.2 s (measured on a loaded machine); 200 ms leaves room for a slow one.
    expect(elapsedMs).toBeLessThan(200);
  });

  it('accepts a 50 000-vertex circle quickly (bbox-pruned crossing search)', () => {
    const start = performance.now();
    const result = validatePolygon({ type: 'Polygon', coordinates: [circle(50_000)] });
    const elapsedMs = performance.now() - start;
    expect(result.ok).toBe(true);
    // About 100–250 ms on an idle machine; @turf/kinks (all pairs) needs about 18 s for the same
    // circle. The bound is loose because the test machine is shared.
    expect(elapsedMs).toBeLessThan(10_000);
  });

  it('rejects, in bounded time, a comb of long slanted teeth whose edge boxes all overlap', () => {
    // 1 500 teeth 0.6° long within 0.5° of each other: the boxes of 6 000 edges overlap pairwise.
    const teeth = 1_500;
    const step = 0.5 / (2 * teeth);
    const ring: LinearRing = [];
    for (let i = 0; i < teeth; i++) {
      const x = 3 + 2 * i * step;
      ring.push([x, 50], [x + 0.6, 50.6], [x + 0.6 + step, 50.6], [x + step, 50]);
    }
    ring.push([3.5, 49.99], [3, 49.99], [3, 50]);
    const start = performance.now();
    expect(problemsOf({ type: 'Polygon', coordinates: [ring] })).toEqual([
      {
        rule: 'too_complex',
        path: 'coordinates',
        message:
          'feature 3: polygon is too complex to check for self-intersections: more than 3000000 pairs of edges have overlapping bounding boxes (many long edges side by side); simplify it',
      },
    ]);
    // What bounds the work is the pair budget (3 000 000 pairs, about 0.5 s on an idle machine), so
    // the result does not depend on the machine; the time bound is only a loose sanity check.
    expect(performance.now() - start).toBeLessThan(30_000);
  });

  it('rejects empty coordinates', () => {
    expect(problemsOf({ type: 'Polygon', coordinates: [] })).toEqual([
      {
        rule: 'empty_geometry',
        path: 'coordinates',
        message: 'feature 3: polygon has no rings: coordinates is empty',
      },
    ]);
    expect(problemsOf({ type: 'MultiPolygon', coordinates: [] })).toEqual([
      {
        rule: 'empty_geometry',
        path: 'coordinates',
        message: 'feature 3: multipolygon has no polygons: coordinates is empty',
      },
    ]);
  });

  it('rejects a hole outside the exterior ring, quoting one of its positions', () => {
    const holeOutside = {
      type: 'Polygon',
      coordinates: [box(3.02, 50.81, 3.03, 50.82), box(3.04, 50.81, 3.042, 50.812).reverse()],
    };
    expect(problemsOf(holeOutside)).toEqual([
      {
        rule: 'hole_outside_shell',
        path: 'coordinates[1]',
        message:
          'feature 3: hole 1 lies outside the exterior ring: its position 1 [3.04, 50.81] is not inside it',
      },
    ]);
  });

  it('rewinds a clockwise exterior ring and reports the fix', () => {
    const clockwise = { type: 'Polygon', coordinates: [box(3.02, 50.81, 3.03, 50.82).reverse()] };
    expect(validatePolygon(clockwise, feature3)).toEqual({
      ok: true,
      value: { type: 'Polygon', coordinates: [box(3.02, 50.81, 3.03, 50.82)] },
      fixes: [
        'feature 3: exterior ring was clockwise; rewound counter-clockwise as RFC 7946 §3.1.6 requires',
      ],
    });
    // The input is left alone.
    expect(clockwise.coordinates[0]?.[1]).toEqual([3.02, 50.82]);
  });

  it('rewinds a counter-clockwise hole', () => {
    const result = validatePolygon(
      {
        type: 'Polygon',
        coordinates: [box(3.02, 50.81, 3.03, 50.82), box(3.022, 50.812, 3.025, 50.815)],
      },
      feature3,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        type: 'Polygon',
        coordinates: [box(3.02, 50.81, 3.03, 50.82), box(3.022, 50.812, 3.025, 50.815).reverse()],
      },
      fixes: [
        'feature 3: hole 1 was counter-clockwise; rewound clockwise as RFC 7946 §3.1.6 requires',
      ],
    });
  });

  it('rejects a Point as not a polygon', () => {
    expect(problemsOf({ type: 'Point', coordinates: [3.02, 50.81] })).toEqual([
      {
        rule: 'not_polygon',
        path: 'type',
        message: 'feature 3: geometry type "Point" is not Polygon or MultiPolygon',
      },
    ]);
  });

  it('rejects a whole Feature with a hint to pass its geometry, and non-objects', () => {
    expect(problemsOf({ type: 'Feature', geometry: null })[0]?.message).toBe(
      'feature 3: geometry type "Feature" is not Polygon or MultiPolygon (pass the feature\'s geometry member)',
    );
    expect(problemsOf(null)).toEqual([
      {
        rule: 'not_polygon',
        path: '',
        message: 'feature 3: geometry is null, expected a GeoJSON Polygon or MultiPolygon object',
      },
    ]);
    expect(problemsOf({ type: 'Polygon' })[0]?.message).toBe(
      'feature 3: coordinates is missing, expected an array of linear rings',
    );
  });

  it('names the polygon of a MultiPolygon whose second polygon is bad', () => {
    const multi = {
      type: 'MultiPolygon',
      coordinates: [
        [box(3.02, 50.81, 3.025, 50.815)],
        [
          [
            [3.03, 50.81],
            [3.04, 50.82],
            [3.04, 50.81],
            [3.03, 50.82],
            [3.03, 50.81],
          ],
        ],
      ],
    };
    expect(problemsOf(multi, { featureLabel: 'feature 7 ("P-12")' })).toEqual([
      {
        rule: 'self_intersection',
        path: 'coordinates[1][0][0]',
        message:
          'feature 7 ("P-12"): polygon 2 exterior ring crosses itself at [3.035000, 50.815000] (bow-tie): edge 1 crosses edge 3',
      },
    ]);
    const secondLat91 = structuredClone(multi);
    secondLat91.coordinates[1] = [box(3.03, 50.81, 3.04, 91)];
    expect(problemsOf(secondLat91)).toEqual([
      {
        rule: 'coordinate_out_of_range',
        path: 'coordinates[1][0][2]',
        message: 'feature 3: polygon 2 exterior ring position 3 latitude 91 out of range [-90, 90]',
      },
      {
        rule: 'coordinate_out_of_range',
        path: 'coordinates[1][0][3]',
        message: 'feature 3: polygon 2 exterior ring position 4 latitude 91 out of range [-90, 90]',
      },
    ]);
  });
});

describe('validatePolygon: other rules', () => {
  it('rejects rings with fewer than 4 positions', () => {
    const triangleOpen = [
      [3.02, 50.81],
      [3.03, 50.81],
      [3.02, 50.81],
    ];
    expect(problemsOf({ type: 'Polygon', coordinates: [triangleOpen] })).toEqual([
      {
        rule: 'too_few_positions',
        path: 'coordinates[0]',
        message: 'feature 3: exterior ring has 3 positions, a closed ring needs at least 4',
      },
    ]);
    expect(problemsOf({ type: 'Polygon', coordinates: [[]] })[0]?.message).toBe(
      'feature 3: exterior ring has 0 positions, a closed ring needs at least 4',
    );
  });

  it('rejects NaN, strings and short positions as invalid coordinates', () => {
    const ring: unknown[] = box(3.02, 50.81, 3.03, 50.82);
    ring[1] = [Number.NaN, 50.81];
    ring[2] = ['3.03', 50.82];
    ring[3] = [3.02];
    expect(problemsOf({ type: 'Polygon', coordinates: [ring] })).toEqual([
      {
        rule: 'invalid_coordinate',
        path: 'coordinates[0][1]',
        message: 'feature 3: exterior ring position 2 longitude NaN is not a finite number',
      },
      {
        rule: 'invalid_coordinate',
        path: 'coordinates[0][2]',
        message: 'feature 3: exterior ring position 3 longitude "3.03" is not a finite number',
      },
      {
        rule: 'invalid_coordinate',
        path: 'coordinates[0][3]',
        message: 'feature 3: exterior ring position 4 is [3.02], expected [lng, lat]',
      },
    ]);
  });

  it('lists at most 5 bad positions per ring, then counts the rest', () => {
    const ring = circle(20).map(([lng]): Position => [lng, 95]);
    const problems = problemsOf({ type: 'Polygon', coordinates: [ring] });
    expect(problems).toHaveLength(6);
    expect(problems[5]).toEqual({
      rule: 'coordinate_out_of_range',
      path: 'coordinates[0]',
      message: 'feature 3: exterior ring has 15 more invalid or out-of-range positions not listed',
    });
  });

  it('rejects a ring of two distinct positions and a ring enclosing under 0.001 m²', () => {
    const twoDistinct = [
      [3.02, 50.81],
      [3.03, 50.81],
      [3.03, 50.81],
      [3.02, 50.81],
    ];
    expect(problemsOf({ type: 'Polygon', coordinates: [twoDistinct] })).toEqual([
      {
        rule: 'zero_area',
        path: 'coordinates[0]',
        message: 'feature 3: exterior ring has only 2 distinct positions, so it encloses no area',
      },
    ]);
    // 1e-8° ≈ 1 mm: a 1 mm × 1 mm square.
    expect(
      problemsOf({ type: 'Polygon', coordinates: [box(3.02, 50.81, 3.02000001, 50.81000001)] }),
    ).toMatchInlineSnapshot(`
      [
        {
          "message": "feature 3: exterior ring encloses 7.8e-7 m², less than the minimum of 0.001 m²",
          "path": "coordinates[0]",
          "rule": "zero_area",
        },
      ]
    `);
  });

  it('rejects a ring that doubles back (spike) and one that touches itself', () => {
    const spike = [
      [3.02, 50.81],
      [3.03, 50.81],
      [3.03, 50.815],
      [3.035, 50.815],
      [3.03, 50.815],
      [3.03, 50.82],
      [3.02, 50.82],
      [3.02, 50.81],
    ];
    expect(problemsOf({ type: 'Polygon', coordinates: [spike] })).toEqual([
      {
        rule: 'self_intersection',
        path: 'coordinates[0][3]',
        message:
          'feature 3: exterior ring doubles back on itself at position 4 [3.035000, 50.815000] (spike)',
      },
      {
        // Out and back: the ring passes the spike's base twice.
        rule: 'self_intersection',
        path: 'coordinates[0][1]',
        message:
          'feature 3: exterior ring touches itself at [3.030000, 50.815000]: edge 2 meets edge 4',
      },
    ]);
    // A figure 8 through one shared vertex.
    const figure8 = [
      [0, 0],
      [1, 0],
      [1, 1],
      [2, 1],
      [2, 2],
      [1, 2],
      [1, 1],
      [0, 1],
      [0, 0],
    ];
    expect(problemsOf({ type: 'Polygon', coordinates: [figure8] })).toEqual([
      {
        rule: 'self_intersection',
        path: 'coordinates[0][1]',
        message:
          'feature 3: exterior ring touches itself at [1.000000, 1.000000]: edge 2 meets edge 6',
      },
    ]);
  });

  it('rejects a hole crossing the exterior ring and a hole inside another', () => {
    const crossing = {
      type: 'Polygon',
      coordinates: [box(3.02, 50.81, 3.03, 50.82), box(3.025, 50.815, 3.035, 50.818).reverse()],
    };
    expect(problemsOf(crossing).map((p) => p.message)).toEqual([
      'feature 3: exterior ring crosses hole 1 at [3.030000, 50.818000]: its edge 2 and edge 2 of hole 1',
      'feature 3: exterior ring crosses hole 1 at [3.030000, 50.815000]: its edge 2 and edge 4 of hole 1',
    ]);
    const nested = {
      type: 'Polygon',
      coordinates: [
        box(3.02, 50.81, 3.03, 50.82),
        box(3.021, 50.811, 3.029, 50.819).reverse(),
        box(3.022, 50.812, 3.023, 50.813).reverse(),
      ],
    };
    expect(problemsOf(nested)).toEqual([
      {
        rule: 'holes_overlap',
        path: 'coordinates[2]',
        message: 'feature 3: hole 2 lies inside hole 1',
      },
    ]);
  });

  it('removes repeated consecutive positions and reports them', () => {
    const repeated = [
      [3.02, 50.81],
      [3.03, 50.81],
      [3.03, 50.81],
      [3.03, 50.82],
      [3.02, 50.82],
      [3.02, 50.81],
    ];
    expect(validatePolygon({ type: 'Polygon', coordinates: [repeated] })).toEqual({
      ok: true,
      value: { type: 'Polygon', coordinates: [box(3.02, 50.81, 3.03, 50.82)] },
      fixes: ['geometry: exterior ring: removed 1 repeated consecutive position (position 3)'],
    });
  });

  it('accepts a touching hole (one shared point) and a concave U shape', () => {
    const touching = {
      type: 'Polygon',
      coordinates: [
        box(0, 0, 4, 4),
        [
          [0, 2],
          [1, 3],
          [1, 1],
          [0, 2],
        ],
      ],
    };
    expect(validatePolygon(touching).ok).toBe(true);
    const u = [
      [0, 0],
      [3, 0],
      [3, 1],
      [2, 1],
      [2, 0.5],
      [1, 0.5],
      [1, 1],
      [0, 1],
      [0, 0],
    ];
    expect(validatePolygon({ type: 'Polygon', coordinates: [u] })).toEqual({
      ok: true,
      value: { type: 'Polygon', coordinates: [u] },
      fixes: [],
    });
  });

  it('refuses a nonsensical maxVertices', () => {
    expect(() => validatePolygon({}, { maxVertices: 0 })).toThrow(
      new RangeError('maxVertices 0 must be an integer >= 4'),
    );
  });
});

// Golden files: fixtures/parcels/in/<name>.geojson (FeatureCollections) → out/<name>.json.
// Regenerate with `REGEN=1 npx vitest run geo/validate-polygon.test.ts` and review the diff.
const fixturesIn = new URL('../fixtures/parcels/in/', import.meta.url);
const fixturesOut = new URL('../fixtures/parcels/out/', import.meta.url);
const regenerate = process.env['REGEN'] === '1';

describe('validatePolygon: golden files fixtures/parcels', () => {
  const names = readdirSync(fixturesIn)
    .filter((file) => file.endsWith('.geojson'))
    .map((file) => file.slice(0, -'.geojson'.length))
    .sort();

  it('has input files', () => {
    expect(names.length).toBeGreaterThan(0);
  });

  for (const name of names) {
    it(`${name}.geojson gives out/${name}.json`, () => {
      const collection = JSON.parse(
        readFileSync(new URL(`${name}.geojson`, fixturesIn), 'utf8'),
      ) as { features: { properties?: { ref?: string } | null; geometry: unknown }[] };
      const results = collection.features.map((feature, i) => {
        const ref = feature.properties?.ref;
        const featureLabel = `feature ${i + 1}${ref === undefined ? '' : ` (${JSON.stringify(ref)})`}`;
        return { featureLabel, result: validatePolygon(feature.geometry, { featureLabel }) };
      });
      const outUrl = new URL(`${name}.json`, fixturesOut);
      if (regenerate) writeFileSync(outUrl, `${JSON.stringify(results, null, 2)}\n`);
      const expected: unknown = JSON.parse(readFileSync(outUrl, 'utf8'));
      expect(results).toEqual(expected);
    });
  }
});
