/**
 * The composition root: builds every part from the config, in order, and stops them in reverse.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AlertBus } from './alerts/alert-bus.ts';
import { startAlerts } from './alerts/index.ts';
import { startDeliveryWorker } from './alerts/delivery/index.ts';
import { endAlertStreams } from './alerts/stream/index.ts';
import { createApp } from './app.ts';
import type { Config } from './config.ts';
import { migrate } from './db/migrate.ts';
import { startMqttEdge, type MqttEndpoints } from './mqtt/start-edge.ts';
import { openStorage } from './db/open-storage.ts';
import type { StorageInfo } from './db/storage.ts';
import { seedDemoPortfolio } from './demo/seed-demo-portfolio.ts';
import type { Logger } from './logger.ts';
import type { AlertEngine, RunningAlerts } from './alerts/index.ts';
import { createServiceSatelliteJob, handParcelResultsToAlerts } from './satellite/index.ts';
import { createPdfRenderer } from './report/index.ts';

export interface RunningService {
  readonly url: string;
  readonly mqtt: MqttEndpoints;
  readonly storageInfo: StorageInfo;
  stop(): Promise<void>;
}

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const storage = await openStorage(config);
  try {
    const storageInfo = await storage.info();
    logger.info('database', {
      backend: storageInfo.backend,
      postgres: storageInfo.serverVersion,
      timescaledb: storageInfo.timescaledbVersion,
      postgis: storageInfo.postgisVersion,
      location: config.databaseUrl === null ? `${config.dataDir}/pglite` : 'DATABASE_URL',
    });
    const report = await migrate(storage, { logger });
    logger.info('schema ready', {
      applied: report.applied.length,
      alreadyApplied: report.alreadyApplied,
    });
    // Migrations may have just created the timescaledb extension: describe the server again.
    const info = report.applied.length > 0 ? await storage.info() : storageInfo;
    if (config.demoSeed) await seedDemoPortfolio(storage, { dataDir: config.dataDir, logger });

    const alertBus = new AlertBus();
    // The satellite job hands its results to the alert engine once the alerts have started.
    let alertEngine: AlertEngine | null = null;
    // Readings posted over HTTP reach the herd monitor too, once the alerts have started.
    let onReadingsCommitted: RunningAlerts['onCommitted'] | null = null;
    const satellite = await createServiceSatelliteJob({
      config,
      storage,
      logger: logger.child({ part: 'satellite' }),
      onParcelResults: handParcelResultsToAlerts(() => alertEngine),
    });
    // Report PDFs: Chromium starts on the first PDF asked for, not here.
    const pdfRenderer = createPdfRenderer({
      chromiumPath: config.report.chromiumPath,
      logger: logger.child({ part: 'pdf' }),
    });
    const app = createApp(
      {
        config,
        storage,
        storageInfo: info,
        logger,
        startedAt: new Date(),
        alertBus,
        satellite,
        onReadingsCommitted: (work) => onReadingsCommitted?.(work),
        pdfRenderer,
      },
      { webRoot: fileURLToPath(new URL('../web/dist', import.meta.url)) },
    );
    const server = await listen(app.fetch, config.http.host, config.http.port);
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`;
    logger.info('listening', { url, backend: info.backend });
    const alerts = await startAlerts({
      storage,
      bus: alertBus,
      logger: logger.child({ part: 'alerts' }),
      evaluationIntervalMs: config.alerts.evaluationIntervalMs,
      escalationIntervalMs: config.alerts.escalationIntervalMs,
    }).catch(async (error: unknown) => {
      await closeServer(server, 0);
      throw error;
    });
    const mqtt = await startMqttEdge({
      config,
      storage,
      logger,
      onCommitted: alerts.onCommitted,
      isUrgent: alerts.isUrgent,
    }).catch(async (error: unknown) => {
      await alerts.stop();
      await closeServer(server, 0);
      throw error;
    });
    const delivery = startDeliveryWorker({
      config,
      storage,
      alertBus,
      logger,
      publishAlert: mqtt.publishAlert,
    });
    alertEngine = alerts.engine;
    onReadingsCommitted = alerts.onCommitted;
    satellite.start();

    return {
      url,
      storageInfo: info,
      mqtt: mqtt.endpoints,
      stop: async () => {
        // Stop taking messages first, then commit what was taken, then the rest.
        await satellite.stop();
        await delivery.stop();
        endAlertStreams(alertBus);
        await mqtt.stop(config.shutdownTimeoutMs);
        await alerts.stop();
        await closeServer(server, config.shutdownTimeoutMs);
        await pdfRenderer.close();
        await storage.close();
        logger.info('stopped');
      },
    };
  } catch (error) {
    await storage
      .close()
      .catch((closeError: unknown) =>
        logger.error('closing storage failed', { error: closeError }),
      );
    throw error;
  }
}

function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', reject);
  });
}

/** Stops accepting, lets in-flight requests finish, and cuts what is left after `timeoutMs`. */
function closeServer(server: ServerType, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const http = server as import('node:http').Server;
    const timer = setTimeout(() => http.closeAllConnections(), timeoutMs);
    http.close(() => {
      clearTimeout(timer);
      resolve();
    });
    http.closeIdleConnections();
  });
}
