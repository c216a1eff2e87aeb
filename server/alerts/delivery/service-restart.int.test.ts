/**
 * Acceptance (issue 6): a webhook receiver that is down for a while, then back, receives every alert
 * change exactly once by idempotency key, in order per alert; a service restart in the middle, with
 * a request in flight, changes nothing of that.
 *
 * The real service (startService) runs on a fresh TimescaleDB database, twice in a row. The alert
 * changes come from the real engine on its own connection, as another instance would write them:
 * the service's worker finds them by polling the outbox.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { openPgStorage } from '../../db/pg-storage.ts';
import type { Storage } from '../../db/storage.ts';
import { silentLogger } from '../../logger.ts';
import { startService, type RunningService } from '../../main.ts';
import { createTestDatabase, type TestDatabase } from '../../testing/databases.ts';
import { AlertBus } from '../alert-bus.ts';
import { AlertEngine } from '../engine.ts';
import type { ObservedCondition } from '../types.ts';
import { Receiver } from './webhook-receiver.ts';

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    if (await check()) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('webhook delivery across a service restart (timescaledb)', () => {
  let database: TestDatabase;
  let dataDir: string;
  let storage: Storage;
  let service: RunningService | null = null;
  const receiver = new Receiver(() => secret);
  let secret = '';

  const start = async (): Promise<RunningService> =>
    startService(
      loadConfig({
        DATABASE_URL: database.url,
        PW_DATA_DIR: dataDir,
        PW_HTTP_PORT: '0',
        PW_MQTT_PORT: '0',
        PW_MQTT_WS_PORT: '0',
        PW_DELIVERY_TIMEOUT_MS: '1000',
        PW_DELIVERY_BACKOFF_BASE_MS: '20',
        PW_DELIVERY_BACKOFF_MAX_MS: '200',
        PW_DELIVERY_POLL_INTERVAL_MS: '50',
        PW_SHUTDOWN_TIMEOUT_MS: '3000',
      }),
      silentLogger,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-restart-'));
    service = await start();
    storage = openPgStorage({ connectionString: database.url, poolMax: 2 });
  });
  afterAll(async () => {
    await service?.stop();
    await receiver.close();
    await storage.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('delivers every change once, in order, with the receiver down and the service restarted', async () => {
    const running = service;
    if (running === null) throw new Error('no service');
    // The receiver's port, then down: connection refused.
    await receiver.listen();
    await receiver.close();

    const passwords = JSON.parse(
      await readFile(path.join(dataDir, 'demo-user-passwords.json'), 'utf8'),
    ) as Record<string, string>;
    const email = 'annelies.vanhoutte@pledgewatch.example';
    const login = await fetch(`${running.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: passwords[email] }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const created = await fetch(`${running.url}/api/subscriptions`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({
        channel: 'webhook',
        url: receiver.url,
        kinds: ['tag_outside_geofence'],
      }),
    });
    expect(created.status).toBe(201);
    const subscription = (await created.json()) as { id: string; signingSecret: string };
    secret = subscription.signingSecret;

    // The engine, on its own connection, raises and updates two alerts.
    const context = await storage.query<{ branch_id: string; farm_id: string }>(
      `select b.branch_id, f.id as farm_id from farms f join borrowers b on b.id = f.borrower_id
        where f.code = 'F-KRT-02'`,
    );
    const { branch_id: branchId, farm_id: farmId } = context.rows[0] ?? {
      branch_id: '',
      farm_id: '',
    };
    const tags = await storage.query<{ id: string }>(
      `select e.id from ear_tags e join herds h on h.id = e.herd_id where h.farm_id = $1
        order by e.tag_code limit 2`,
      [farmId],
    );
    const [tagA, tagB] = tags.rows.map((row) => row.id);
    if (tagA === undefined || tagB === undefined) throw new Error('demo farm has no ear tags');
    const engine = new AlertEngine({ storage, bus: new AlertBus() });
    const condition = (
      subjectId: string,
      overrides: Partial<ObservedCondition> = {},
    ): ObservedCondition => ({
      kind: 'tag_outside_geofence',
      subjectType: 'ear_tag',
      subjectId,
      active: true,
      severity: 'warning',
      title: 'Tag outside the geofence',
      evidence: { distanceM: 40 },
      evidenceKey: 'near',
      context: { branchId, loanId: null, farmId },
      raiseAfterMs: 0,
      clearAfterMs: 60_000,
      ...overrides,
    });
    const changes = [
      ...(await engine.applyConditions([condition(tagA), condition(tagB)])).events,
      ...(
        await engine.applyConditions([
          condition(tagA, {
            severity: 'critical',
            evidence: { distanceM: 900 },
            evidenceKey: 'far',
          }),
        ])
      ).events,
      ...(
        await engine.applyConditions([
          condition(tagB, {
            severity: 'critical',
            evidence: { distanceM: 700 },
            evidenceKey: 'far',
          }),
        ])
      ).events,
    ];
    expect(changes.length).toBeGreaterThanOrEqual(4);
    for (const change of changes) {
      const ids = receiver.eventsByAlert.get(change.alertId) ?? [];
      receiver.eventsByAlert.set(change.alertId, [...ids, change.id]);
    }
    await waitFor('refused tries', async () => {
      const { rows } = await storage.query<{ n: number }>(
        `select count(*)::int as n from delivery_attempts where error like '%ECONNREFUSED%'`,
      );
      return (rows[0]?.n ?? 0) >= 2;
    });

    // Back up, but it takes the first request in and never answers: the service stops meanwhile.
    receiver.mode = 'hang';
    await receiver.listen();
    await waitFor('a request taken in', async () => receiver.applied.length >= 1);
    await running.stop();
    service = null;
    const delivered = await storage.query<{ n: number }>(
      `select count(*)::int as n from deliveries where subscription_id = $1 and status = 'delivered'`,
      [subscription.id],
    );
    expect(delivered.rows[0]?.n).toBe(0);

    // Restarted; the receiver answers again.
    receiver.mode = 'ok';
    service = await start();
    await waitFor('every change delivered', async () => {
      const { rows } = await storage.query<{ n: number }>(
        `select count(*)::int as n from deliveries where subscription_id = $1 and status <> 'delivered'`,
        [subscription.id],
      );
      return rows[0]?.n === 0;
    });

    const keys = changes.map((change) => `${subscription.id}:${change.id}`);
    expect([...receiver.applied].sort()).toEqual([...keys].sort());
    expect(receiver.duplicates).toBeGreaterThanOrEqual(1);
    expect(receiver.orderViolations).toEqual([]);
    expect(receiver.received.every((r) => r.signatureOk)).toBe(true);
  });
});
