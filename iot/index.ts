/** Public API of the IoT edge: what server/ may import. */
export type { DecodeError, Result } from './result.ts';
export type { DecodeLimits, EarTagReading } from './eartag/reading.ts';
export { defaultDecodeLimits } from './eartag/reading.ts';
export { decodeEarTagReading } from './eartag/decode.ts';
