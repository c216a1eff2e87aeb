import type { Services } from '../app-env.ts';
import { AlertEngine } from '../alerts/index.ts';
import { handParcelResultsToAlerts } from './hand-to-alerts.ts';
import type { SatelliteJob } from './satellite-job.ts';
import { createServiceSatelliteJob } from './service-job.ts';

const made = new WeakMap<Services, Promise<SatelliteJob>>();

/**
 * The services' satellite job; when the composition root gave none (an app built for tests), one
 * made from the config on first use, not scheduled, handing its results to an alert engine of its
 * own on the services' bus.
 */
export function satelliteJobFor(services: Services): Promise<SatelliteJob> {
  if (services.satellite !== undefined) return Promise.resolve(services.satellite);
  let job = made.get(services);
  if (job === undefined) {
    const engine = new AlertEngine({
      storage: services.storage,
      bus: services.alertBus,
      logger: services.logger,
    });
    job = createServiceSatelliteJob({
      config: services.config,
      storage: services.storage,
      logger: services.logger,
      onParcelResults: handParcelResultsToAlerts(engine),
    });
    made.set(services, job);
  }
  return job;
}
