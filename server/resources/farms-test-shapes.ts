/**
 * Test support: small geometries near the demo farms (Kortrijk, about 3.02 E 50.81 N), good and
 * broken in each way the API must refuse. Only tests import this file.
 */
import { fileURLToPath } from 'node:url';
import type { Polygon } from '../../geo/index.ts';

type Ring = Array<[number, number]>;

/** A square of `sizeDeg` degrees with its south-west corner at (lng, lat), counter-clockwise. */
export function square(lng: number, lat: number, sizeDeg: number): Polygon {
  return { type: 'Polygon', coordinates: [squareRing(lng, lat, sizeDeg)] };
}

function squareRing(lng: number, lat: number, size: number): Ring {
  return [
    [lng, lat],
    [lng + size, lat],
    [lng + size, lat + size],
    [lng, lat + size],
    [lng, lat],
  ];
}

/** One shape per rule, each a real bad shape, with the rule validatePolygon must name. */
export const badShapes = {
  bowTie: {
    rule: 'self_intersection',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [3.1, 50.9],
          [3.11, 50.91],
          [3.11, 50.9],
          [3.1, 50.91],
          [3.1, 50.9],
        ],
      ],
    },
  },
  unclosedRing: {
    rule: 'unclosed_ring',
    geometry: { type: 'Polygon', coordinates: [squareRing(3.1, 50.9, 0.01).slice(0, 4)] },
  },
  latitude91: {
    rule: 'coordinate_out_of_range',
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [3.1, 50.9],
          [3.11, 50.9],
          [3.11, 91],
          [3.1, 50.91],
          [3.1, 50.9],
        ],
      ],
    },
  },
  emptyGeometry: { rule: 'empty_geometry', geometry: { type: 'Polygon', coordinates: [] } },
  holeOutsideShell: {
    rule: 'hole_outside_shell',
    geometry: {
      type: 'Polygon',
      coordinates: [
        squareRing(3.1, 50.9, 0.01),
        // clockwise, as a hole should be, but 0.05° east of the shell
        squareRing(3.15, 50.9, 0.002).reverse(),
      ],
    },
  },
} as const;

/** A counter-clockwise square given clockwise: valid once rewound. */
export function clockwiseSquare(lng: number, lat: number, sizeDeg: number): Polygon {
  return { type: 'Polygon', coordinates: [squareRing(lng, lat, sizeDeg).reverse()] };
}

/** The Sentinel-2 parcel registers beside the project (absent in some checkouts). */
export const flandersRegisters = {
  2018: fileURLToPath(
    new URL('../../../shared/data/sentinel2/flanders-2018/labels/parcels.geojson', import.meta.url),
  ),
  2019: fileURLToPath(
    new URL('../../../shared/data/sentinel2/flanders-2019/labels/parcels.geojson', import.meta.url),
  ),
} as const;
