/**
 * The satellite job as the service runs it, built from the config: its sources (the configured
 * ones, else the demo scenes when the demo seed is on, generated in the data folder before the
 * first run), its model, the crop signatures for the markers, and the alert hand-off.
 */
import { readFile } from 'node:fs/promises';
import { blockInflater, type CropSignatures } from '../../ingest/index.ts';
import type { Config } from '../config.ts';
import type { Storage } from '../db/storage.ts';
import { cropSignaturesPath, demoCatalogPath, ensureDemoScenes } from '../demo/demo-scenes.ts';
import { silentLogger, type Logger } from '../logger.ts';
import { createSatelliteJob, type SatelliteJob } from './satellite-job.ts';
import type { ParcelResultsHandler } from './types.ts';

export interface ServiceSatelliteJobOptions {
  readonly config: Config;
  readonly storage: Storage;
  readonly logger?: Logger;
  readonly onParcelResults?: ParcelResultsHandler;
}

/** The sources the job reads with this config. */
export function satelliteSources(config: Config): readonly string[] {
  if (config.satellite.stacSources !== null) return config.satellite.stacSources;
  return config.demoSeed ? [demoCatalogPath(config.dataDir)] : [];
}

/**
 * Builds the job (no I/O until its first run). The demo scenes are generated at the first run when
 * the job reads them.
 *
 * @example const job = await createServiceSatelliteJob({ config, storage, logger }); job.start();
 */
export async function createServiceSatelliteJob(
  options: ServiceSatelliteJobOptions,
): Promise<SatelliteJob> {
  const { config } = options;
  const logger = options.logger ?? silentLogger;
  const usesDemoScenes = config.satellite.stacSources === null && config.demoSeed;
  const signatures = JSON.parse(await readFile(cropSignaturesPath, 'utf8')) as CropSignatures;
  const inflater = blockInflater();
  if (inflater.kind === 'zlib') {
    logger.warn('satellite scenes are inflated with zlib, 2.2x slower than with libdeflate', {
      reason: inflater.reason,
    });
  }
  return createSatelliteJob({
    storage: options.storage,
    logger,
    sources: () => satelliteSources(config),
    intervalMs: config.satellite.intervalMs,
    // Not in the way of a start: the first run a few seconds after it.
    firstRunDelayMs: 10_000,
    modelPath: config.satellite.cropModel,
    signatures,
    ...(options.onParcelResults === undefined ? {} : { onParcelResults: options.onParcelResults }),
    ...(usesDemoScenes
      ? {
          prepare: async (signal: AbortSignal) => {
            await ensureDemoScenes({ dataDir: config.dataDir, logger, signal });
          },
        }
      : {}),
  });
}
