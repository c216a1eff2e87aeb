/**
 * The bench suites, one file each in this folder, loaded lazily by name. Add a suite by writing
 * `scripts/bench/<name>.ts` that exports a `BenchSuite` and registering it here.
 */
import type { BenchSuite } from './lib/types.ts';

const registry: Readonly<Record<string, () => Promise<BenchSuite>>> = {
  'alert-latency': async () => (await import('./alert-latency.ts')).alertLatency,
  'bulk-write': async () => (await import('./bulk-write.ts')).bulkWrite,
  geofence: async () => (await import('./geofence.ts')).geofence,
  map: async () => (await import('./map.ts')).map,
  'mqtt-ingest': async () => (await import('./mqtt-ingest.ts')).mqttIngest,
  report: async () => (await import('./report.ts')).report,
  satellite: async () => (await import('./satellite.ts')).satellite,
};

export const suiteNames: readonly string[] = Object.keys(registry);

export class UnknownSuiteError extends Error {
  constructor(name: string) {
    super(`unknown suite ${JSON.stringify(name)}; known suites: ${suiteNames.join(', ')}`);
    this.name = 'UnknownSuiteError';
  }
}

export async function loadSuite(name: string): Promise<BenchSuite> {
  const load = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (load === undefined) throw new UnknownSuiteError(name);
  return load();
}

export { startThrowawayCluster, type ThrowawayCluster } from './lib/cluster.ts';
export { renderReport } from './lib/format.ts';
export type { BenchOptions, BenchReport, BenchSuite, SuiteResult } from './lib/types.ts';
