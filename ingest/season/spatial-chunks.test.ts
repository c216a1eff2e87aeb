import { describe, expect, it } from 'vitest';
import { toLngLat, type Polygon } from '../../geo/index.ts';
import { CHUNK_CELL_PX, chunkParcelsByCell, type ChunkGrid } from './spatial-chunks.ts';

const grid: ChunkGrid = { epsg: 32631, transform: [10, 0, 500_000, 0, -10, 5_700_000] };

/** A 100 m square parcel whose centre is at 10 m pixel (col, row) of `grid`. */
function parcelAt(id: string, col: number, row: number): { id: string; geometry: Polygon } {
  const x = 500_000 + col * 10;
  const y = 5_700_000 - row * 10;
  const corners: [number, number][] = [
    [x - 50, y - 50],
    [x + 50, y - 50],
    [x + 50, y + 50],
    [x - 50, y + 50],
    [x - 50, y - 50],
  ];
  return {
    id,
    geometry: { type: 'Polygon', coordinates: [corners.map((c) => toLngLat(32631, c))] },
  };
}

describe('chunkParcelsByCell', () => {
  it('puts parcels of one cell together, whatever their input order, cells in row order', () => {
    const far = CHUNK_CELL_PX + 100;
    const parcels = [
      parcelAt('b1', far, 100),
      parcelAt('a1', 100, 100),
      parcelAt('c1', 100, far),
      parcelAt('a2', 1_000, 1_500),
      parcelAt('b2', far + 500, 900),
      parcelAt('a3', 600, 100),
    ];
    const chunks = chunkParcelsByCell(parcels, (p) => p.geometry, grid, 10);
    expect(chunks.map((chunk) => chunk.map((p) => p.id))).toEqual([
      ['a1', 'a3', 'a2'], // cell (0, 0), by 512 px block: (0,0), (0,1), (2,1)
      ['b1', 'b2'],
      ['c1'],
    ]);
  });

  it('splits a dense cell into chunks of at most the limit, and takes a MultiPolygon', () => {
    const parcels = Array.from({ length: 7 }, (_, k) => parcelAt(`p${k}`, 50 + k * 40, 50));
    const multi = {
      id: 'm',
      geometry: {
        type: 'MultiPolygon' as const,
        coordinates: [parcelAt('m', 60, 60).geometry.coordinates],
      },
    };
    const chunks = chunkParcelsByCell([...parcels, multi], (p) => p.geometry, grid, 3);
    expect(chunks.map((chunk) => chunk.length)).toEqual([3, 3, 2]);
    expect(
      chunks
        .flat()
        .map((p) => p.id)
        .sort(),
    ).toEqual([...parcels.map((p) => p.id), 'm'].sort());
    expect(() => chunkParcelsByCell(parcels, (p) => p.geometry, grid, 0)).toThrow(
      'maxPerChunk 0 must be a positive integer',
    );
  });
});
