/** The satellite side of the service: the scheduled job, its results, and the map's routes. */
export { createSatelliteJob } from './satellite-job.ts';
export type { SatelliteJob, SatelliteJobOptions } from './satellite-job.ts';
export { runSatellite } from './run-satellite.ts';
export type { ClassifyFunction, SatelliteRunOptions } from './run-satellite.ts';
export { handParcelResultsToAlerts } from './hand-to-alerts.ts';
export { summarizeForAlerts } from './parcel-alert-summary.ts';
export { listRuns, readRun } from './runs.ts';
export type {
  ParcelResultsHandler,
  RunFailure,
  SatelliteRun,
  StoredParcelResult,
} from './types.ts';
export { createServiceSatelliteJob, satelliteSources } from './service-job.ts';
