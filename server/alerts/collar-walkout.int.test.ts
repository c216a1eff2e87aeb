/**
 * End to end, as issue 6 asks: a real collar log (`../shared/data/livestock/idaho-collars/`,
 * Bannock cow 1149) replayed over MQTT into the embedded broker walks out of its farm's geofence,
 * and the alert appears, with the tag as evidence, on the bus and in the database.
 *
 * The farm: F-KRT-01 given the pasture the cow grazes on 12-13 December 2017 (lat 43.320-43.340,
 * lng -117.120 to -117.100) as its boundary, and a herd pledging the collar. The replay starts
 * after the truck ride to the ranch (fix 25), inside the fence; on 13 December the cow walks some
 * 7 km south-west, out of it. The data are read in place; without them the test is skipped.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { silentLogger } from '../logger.ts';
import { startMqttEdge } from '../mqtt/start-edge.ts';
import { parseCollarLog } from '../replay/collar-log.ts';
import { replayCollarLog } from '../replay/replay-collar-log.ts';
import { testBackends } from '../testing/databases.ts';
import { AlertBus, type AlertEventView } from './alert-bus.ts';
import { startAlerts, type RunningAlerts } from './start-alerts.ts';

const collarLog = path.resolve(
  fileURLToPath(
    new URL(
      '../../../shared/data/livestock/idaho-collars/Bannock_2017_101_1149.csv',
      import.meta.url,
    ),
  ),
);
const haveLog = existsSync(collarLog);
if (!haveLog) {
  console.warn(`collar walk-out test skipped: ${collarLog} is missing (the idaho-collars logs)`);
}

const TAG = 'IDAHO-B1149';
const [MIN_LNG, MIN_LAT, MAX_LNG, MAX_LAT] = [-117.12, 43.32, -117.1, 43.34];

describe.skipIf(!haveLog).each(testBackends)(
  'a collar walking out of its farm on $name',
  (backend) => {
    let storage: Storage;
    let dataDir: string;
    let alerts: RunningAlerts;
    let edge: Awaited<ReturnType<typeof startMqttEdge>>;
    let secret: string;
    const published: AlertEventView[] = [];

    beforeAll(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-walkout-'));
      storage = await backend.open();
      await migrate(storage);
      await seedDemoPortfolio(storage, { dataDir });
      secret =
        (
          JSON.parse(
            await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
          ) as Record<string, string>
        )['GW-KRT-01'] ?? '';
      const ring = [
        [MIN_LNG, MIN_LAT],
        [MAX_LNG, MIN_LAT],
        [MAX_LNG, MAX_LAT],
        [MIN_LNG, MAX_LAT],
        [MIN_LNG, MIN_LAT],
      ];
      await storage.query(
        `update farms set boundary = $2::jsonb, min_lng = $3, min_lat = $4, max_lng = $5, max_lat = $6,
              area_m2 = 3600000
        where code = $1`,
        [
          'F-KRT-01',
          JSON.stringify({ type: 'Polygon', coordinates: [ring] }),
          MIN_LNG,
          MIN_LAT,
          MAX_LNG,
          MAX_LAT,
        ],
      );
      await storage.query(
        `with h as (
         insert into herds (farm_id, code, name, species, pledged_head_count)
         select id, 'H-IDAHO', 'Bannock range cattle', 'cattle', 1 from farms where code = 'F-KRT-01'
         returning id)
       insert into ear_tags (herd_id, tag_code, bound_at) select id, $1, now() - interval '30 days' from h`,
        [TAG],
      );
      const bus = new AlertBus();
      bus.subscribe((events) => published.push(...events));
      alerts = await startAlerts({
        storage,
        bus,
        evaluationIntervalMs: 3_600_000,
        escalationIntervalMs: 3_600_000,
      });
      const config = loadConfig({ PW_MQTT_PORT: '0', PW_MQTT_WS_PORT: '0', PW_DATA_DIR: dataDir });
      edge = await startMqttEdge({
        config,
        storage,
        logger: silentLogger,
        onCommitted: alerts.onCommitted,
      });
    });

    afterAll(async () => {
      await edge?.stop(2_000);
      await alerts?.stop();
      await storage?.close();
      if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    });

    it('raises one tag_outside_geofence alert naming the tag, after the cow leaves', async () => {
      const log = parseCollarLog(await readFile(collarLog, 'utf8'));
      const onRange = { ...log, fixes: log.fixes.slice(25) };
      const summary = await replayCollarLog(onRange, {
        brokerUrl: edge.endpoints.url,
        gatewayCode: 'GW-KRT-01',
        secret,
        farmCode: 'F-KRT-01',
        tagId: TAG,
        speed: 0,
      });
      expect(summary.failed).toBe(0);
      await alerts.herdMonitor.drain();

      const raised = published.filter(
        (e) => e.type === 'raised' && e.alert.kind === 'tag_outside_geofence',
      );
      expect(raised).toHaveLength(1);
      const rows = await storage.query<{
        id: string;
        status: string;
        subject_type: string;
        evidence: { tagCode: string; reading: { observedAt: string }; distanceM: number };
      }>(
        `select a.id, a.status, a.subject_type, a.evidence from alerts a
        join ear_tags e on e.id = a.subject_id where e.tag_code = $1 and a.kind = 'tag_outside_geofence'`,
        [TAG],
      );
      expect(rows.rows).toHaveLength(1);
      const alert = rows.rows[0];
      expect(alert).toMatchObject({
        status: 'open',
        subject_type: 'ear_tag',
        evidence: { tagCode: TAG },
      });
      expect(alert?.evidence.distanceM).toBeGreaterThan(10);
      // A walk-out, not a first fix outside: the tag reported from inside the fence first.
      const first = await storage.query<{ at: Date }>(
        'select min(observed_at) as at from tag_readings where tag_code = $1',
        [TAG],
      );
      expect(Date.parse(alert?.evidence.reading.observedAt ?? '')).toBeGreaterThan(
        first.rows[0]?.at.getTime() ?? Infinity,
      );
      // The evidence names a stored reading, outside the fence.
      const reading = await storage.query<{ lat: number; lon: number }>(
        'select lat, lon from tag_readings where tag_code = $1 and observed_at = $2',
        [TAG, alert?.evidence.reading.observedAt ?? null],
      );
      expect(reading.rows).toHaveLength(1);
      const fix = reading.rows[0];
      expect(
        fix !== undefined &&
          (fix.lon < MIN_LNG || fix.lon > MAX_LNG || fix.lat < MIN_LAT || fix.lat > MAX_LAT),
      ).toBe(true);
    }, 120_000);
  },
);
