import { describe, expect, it } from 'vitest';
import { canonicalJson, reportContentHash } from './content-hash.ts';
import { buildSampleReport } from './sample-report.ts';
import type { ReportData } from './types.ts';

/** The same value with the keys of every object in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).reverse()) {
    out[key] = reverseKeys((value as Record<string, unknown>)[key]);
  }
  return out;
}

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order, drops undefined, adds no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }, 2.5], e: undefined })).toBe(
      '{"a":[{"c":null,"d":"x"},2.5],"b":1}',
    );
  });

  it('prints numbers and strings as JSON does', () => {
    expect(canonicalJson([0.1 + 0.2, 1e21, -0, 'é"\n\u2028'])).toBe(
      JSON.stringify([0.1 + 0.2, 1e21, -0, 'é"\n\u2028']),
    );
  });

  it('refuses a bigint, naming where it is', () => {
    expect(() => canonicalJson({ a: [1, 2n] })).toThrow('$.a[1] is a bigint');
  });
});

describe('reportContentHash', () => {
  it('is a sha256 hex digest, equal for equal data whatever the key order', () => {
    const a = buildSampleReport();
    const b = reverseKeys(buildSampleReport()) as ReportData;
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    expect(reportContentHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(reportContentHash(b)).toBe(reportContentHash(a));
  });

  it('is stable across runs: the canonical text is the sorted JSON', async () => {
    const data = buildSampleReport();
    const { createHash } = await import('node:crypto');
    const sortedJson = JSON.stringify(sortDeep(data));
    expect(reportContentHash(data)).toBe(createHash('sha256').update(sortedJson).digest('hex'));
  });

  it('changes when any one figure changes', () => {
    const base = reportContentHash(buildSampleReport());
    const changes: Array<(d: Mutable<ReportData>) => void> = [
      (d) => {
        (
          d.coverage.series.points[3] as Mutable<(typeof d.coverage.series.points)[number]>
        ).totalValue += 0.01;
      },
      (d) => {
        (d.herds[0] as Mutable<(typeof d.herds)[number]>).countedAtEnd = 35;
      },
      (d) => {
        (d.parcels[1]?.ndviSeries[0] as { ndvi: number }).ndvi = 0.681;
      },
      (d) => {
        (d.alerts[0]?.events[2] as { comment: string | null }).comment = 'changed';
      },
      (d) => {
        d.generatedAt = '2026-07-01T08:15:43.000Z';
      },
    ];
    const hashes = changes.map((change) => {
      const data = buildSampleReport() as Mutable<ReportData>;
      change(data);
      return reportContentHash(data);
    });
    for (const hash of hashes) expect(hash).not.toBe(base);
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortDeep((value as Record<string, unknown>)[k])]),
  );
}
