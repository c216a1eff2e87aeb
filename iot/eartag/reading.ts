/** One ear-tag fix as reported by a tag through its gateway, decoded and range-checked. */
export interface EarTagReading {
  readonly tagId: string;
  /** When the tag took the fix (device clock). */
  readonly observedAt: Date;
  readonly lat: number;
  readonly lon: number;
  readonly temperatureC: number | null;
  /** Activity index reported by the tag (unitless, >= 0). */
  readonly activity: number | null;
  readonly batteryPct: number | null;
  readonly rssi: number | null;
}

export interface DecodeLimits {
  /** The receiving clock, so tests and replays can fix "now". */
  readonly now: Date;
  /** Largest allowed lead of observedAt over now (device clocks run fast). */
  readonly maxFutureSkewMs: number;
  /** Oldest reading accepted; older ones are from a gateway's stale buffer or a wrong clock. */
  readonly maxAgeMs: number;
}

export const defaultDecodeLimits = {
  maxFutureSkewMs: 5 * 60_000,
  maxAgeMs: 30 * 24 * 3_600_000,
} as const;
