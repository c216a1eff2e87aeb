import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePng } from './png.ts';

describe('encodePng', () => {
  it('writes the signature, IHDR, IDAT with one filter byte per row, and IEND', () => {
    const rgba = new Uint8Array(3 * 2 * 4).map((_, i) => i);
    const png = encodePng(3, 2, rgba);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(3);
    expect(png.readUInt32BE(20)).toBe(2);
    const idatLength = png.readUInt32BE(33);
    expect(png.toString('latin1', 37, 41)).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLength));
    expect(raw.length).toBe(2 * (3 * 4 + 1));
    expect(raw[0]).toBe(0);
    expect([...raw.subarray(1, 13)]).toEqual([...rgba.subarray(0, 12)]);
    expect(png.toString('latin1', png.length - 8, png.length - 4)).toBe('IEND');
    expect(png.readUInt32BE(png.length - 4)).toBe(0xae426082); // the CRC every IEND has
  });

  it('refuses a pixel buffer of the wrong size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(3))).toThrow(/expected 16/);
  });
});
