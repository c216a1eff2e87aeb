/**
 * The satellite job end to end on both backends: simulated demo scenes (plus one item whose COG is
 * truncated) -> POST /api/satellite/runs -> parcel_observations, statuses in the GeoJSON, alerts,
 * map tiles.
 */
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifyParcels } from '../../ingest/index.ts';
import { LeaseHeldError } from '../db/job-lease.ts';
import { ensureDemoScenes } from '../demo/demo-scenes.ts';
import { createLogger } from '../logger.ts';
import { createSatelliteJob, type ClassifyFunction } from './index.ts';
import { SatelliteLeaseLostError } from './satellite-job.ts';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

let scenesDir: string;
let sources: string;
const BROKEN_ID = 'PW-DEMO_BROKEN_F-KRT-01';

beforeAll(async () => {
  scenesDir = await mkdtemp(path.join(os.tmpdir(), 'pw-satellite-'));
  const { catalogPath } = await ensureDemoScenes({ dataDir: scenesDir });
  // One more item over F-KRT-01: a copy of a clear date, an hour later, with a truncated red band.
  const catalog = JSON.parse(await readFile(catalogPath, 'utf8')) as {
    links: { href: string }[];
  };
  const template = catalog.links
    .map((link) => link.href)
    .find((href) => href.includes('F-KRT-01_201806'));
  if (template === undefined) throw new Error('no June 2018 item for F-KRT-01 in the demo');
  const templatePath = path.resolve(path.dirname(catalogPath), template);
  const brokenFolder = path.join(scenesDir, 'broken', BROKEN_ID);
  await cp(path.dirname(templatePath), brokenFolder, { recursive: true });
  const item = JSON.parse(await readFile(templatePath, 'utf8')) as {
    id: string;
    properties: { datetime: string };
  };
  item.id = BROKEN_ID;
  item.properties.datetime = new Date(
    Date.parse(item.properties.datetime) + 3_600_000,
  ).toISOString();
  const brokenItemPath = path.join(brokenFolder, `${BROKEN_ID}.json`);
  await writeFile(brokenItemPath, JSON.stringify(item));
  await truncate(path.join(brokenFolder, 'red.tif'), 600);
  sources = `${catalogPath},${brokenItemPath}`;
}, 120_000);

afterAll(async () => {
  await rm(scenesDir, { recursive: true, force: true });
});

/** The RGBA pixels of a PNG with 8-bit RGBA and filter 0 on every row (what the service writes). */
function decodePng(bytes: Buffer): { width: number; height: number; rgba: Uint8Array } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      expect(data[9]).toBe(6);
    } else if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    expect(raw[row * (width * 4 + 1)]).toBe(0);
    rgba.set(raw.subarray(row * (width * 4 + 1) + 1, (row + 1) * (width * 4 + 1)), row * width * 4);
  }
  return { width, height, rgba };
}

/**
 * A classifier that waits at a gate before classifying (for real): a run held in the middle,
 * deterministically, for as long as a test needs. Aborting the run's signal ends the wait.
 */
function gatedClassify(): {
  classify: ClassifyFunction;
  entered: Promise<void>;
  open: () => void;
} {
  let enter = (): void => undefined;
  const entered = new Promise<void>((resolve) => (enter = resolve));
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const classify: ClassifyFunction = async (items, parcels, options) => {
    enter();
    await new Promise<void>((resolve, reject) => {
      const signal = options.signal;
      if (signal === undefined) {
        void gate.then(resolve);
        return;
      }
      signal.throwIfAborted();
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      void gate.then(resolve);
    });
    return classifyParcels(items, parcels, options);
  };
  return { classify, entered, open };
}

/** Polls `check` every 50 ms until it holds, for at most `timeoutMs`. */
async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** XYZ tile of a point at zoom z. */
function tileOf(lng: number, lat: number, z: number): { x: number; y: number } {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return {
    x: Math.floor(((lng + 180) / 360) * n),
    y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n),
  };
}

describe.each(testBackends)('the satellite job ($name)', (backend) => {
  let h: ApiHarness;
  let firstRun: Record<string, unknown>;

  beforeAll(async () => {
    h = await createApiHarness(backend, { PW_STAC_SOURCES: sources });
    const response = await h.call('krtSupervisor', 'POST', '/api/satellite/runs');
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    firstRun = response.body as Record<string, unknown>;
  }, 180_000);
  afterAll(async () => {
    await h.close();
  });

  it('writes one parcel_observations row per parcel and scene, and nothing new the second time', async () => {
    expect(firstRun['status'], String(firstRun['error'])).toBe('succeeded');
    expect(firstRun['parcelsClassified']).toBe(21);
    const { rows } = await h.storage.query<{ n: string }>(
      'select count(*)::text as n from parcel_observations',
    );
    const stored = Number(rows[0]?.n);
    expect(stored).toBeGreaterThan(21 * 20);
    expect(firstRun['observationsWritten']).toBe(stored);

    const second = await h.call('admin', 'POST', '/api/satellite/runs');
    expect(second.status).toBe(201);
    expect(second.body.status).toBe('succeeded');
    expect(second.body.observationsWritten).toBe(0);
    const again = await h.storage.query<{ n: string }>(
      'select count(*)::text as n from parcel_observations',
    );
    expect(Number(again.rows[0]?.n)).toBe(stored);
  });

  it('records the failing item with its reason while the others are processed', async () => {
    const failures = firstRun['failures'] as { itemId: string; code: string; reason: string }[];
    const broken = failures.filter((f) => f.itemId === BROKEN_ID);
    expect(broken).toHaveLength(1);
    expect(broken[0]?.reason).toMatch(/red/);
    expect(firstRun['itemsFailed']).toBe(1);
    const { rows } = await h.storage.query<{ reason_code: string; reason: string }>(
      `select reason_code, reason from rejected_messages
        where source = 'tile' and details ->> 'itemId' = $1`,
      [BROKEN_ID],
    );
    expect(rows).toHaveLength(1); // recorded once, although the second run tried it again
    expect(rows[0]?.reason).toBe(broken[0]?.reason);
  });

  it('shows each parcel’s status in the GeoJSON, branch by branch', async () => {
    const all = await h.call('admin', 'GET', '/api/parcels/status.geojson');
    expect(all.status).toBe(200);
    const byCode = new Map<string, Record<string, unknown>>(
      (all.body.features as { properties: Record<string, unknown> }[]).map((f) => [
        String(f.properties['code']),
        f.properties,
      ]),
    );
    expect(byCode.size).toBe(21);
    const mismatch = byCode.get('P-KRT-01-5');
    expect(mismatch?.['status'], String(mismatch?.['reason'])).toBe('mismatch');
    expect(mismatch?.['declaredCropCode']).toBe(1200);
    expect(mismatch?.['predictedCropCode']).toBe(9120);
    const clouded = byCode.get('P-AAL-01-3');
    expect(clouded?.['status']).toBe('cannot_verify');
    expect(String(clouded?.['reason'])).toMatch(/clear/);
    expect(clouded?.['clearObservations']).toBe(0);
    for (const [code, p] of byCode) {
      expect(p['status'], code).not.toBe('no_observation');
      expect(p['lastSceneAt'], code).not.toBeNull();
    }

    const krt = await h.call('krtOfficer', 'GET', '/api/parcels/status.geojson');
    const codes = (krt.body.features as { properties: { code: string } }[]).map(
      (f) => f.properties.code,
    );
    expect(codes.length).toBe(11);
    expect(codes.every((c) => c.startsWith('P-KRT-'))).toBe(true);
    const boxed = await h.call(
      'admin',
      'GET',
      '/api/parcels/status.geojson?bbox=3.015,50.81,3.03,50.82',
    );
    expect(
      (boxed.body.features as { properties: { code: string } }[]).every((f) =>
        f.properties.code.startsWith('P-KRT-01-'),
      ),
    ).toBe(true);
  });

  it('answers a parcel’s observations, and 404 for another branch’s parcel', async () => {
    const id = await h.idOf('parcels', 'code', 'P-KRT-01-2');
    const response = await h.call('krtOfficer', 'GET', `/api/parcels/${id}/observations`);
    expect(response.status).toBe(200);
    expect(response.body.observations.length).toBeGreaterThan(10);
    expect(response.body.ndviSeries.length).toBeGreaterThan(5);
    const other = await h.call('aalOfficer', 'GET', `/api/parcels/${id}/observations`);
    expect(other.status).toBe(404);
  });

  it('hands mismatch and cannot-verify to the alert engine', async () => {
    const { rows } = await h.storage.query<{ code: string; kind: string }>(
      `select p.code, a.kind from alerts a join parcels p on p.id = a.subject_id
        where a.subject_type = 'parcel' and a.status <> 'resolved' order by p.code, a.kind`,
    );
    const alerts = rows.map((r) => `${r.code} ${r.kind}`);
    expect(alerts).toContain('P-KRT-01-5 crop_mismatch');
    expect(alerts).toContain('P-AAL-01-3 cannot_verify');
    // Only parcels with a result are evaluated: nothing for a parcel that had none.
    const { rows: handed } = await h.storage.query<{ n: string }>(
      `select count(*)::text as n from parcel_satellite_status where alerts_evaluated_at is null`,
    );
    expect(Number(handed[0]?.n)).toBe(0);
  });

  it('lists runs to supervisors, not officers', async () => {
    expect((await h.call('krtOfficer', 'GET', '/api/satellite/runs')).status).toBe(403);
    expect((await h.call('krtOfficer', 'POST', '/api/satellite/runs')).status).toBe(403);
    const runs = await h.call('aalSupervisor', 'GET', '/api/satellite/runs?limit=5');
    expect(runs.status).toBe(200);
    expect(runs.body.items.length).toBeGreaterThanOrEqual(2);
    expect(runs.body.items[0].id > runs.body.items[1].id || runs.body.items.length > 1).toBe(true);
  });

  it('draws crop and NDVI tiles over the parcels, for the caller’s branch only, and 401 without auth', async () => {
    const z = 16;
    const { x, y } = tileOf(3.0215, 50.8145, z); // inside P-KRT-01-1
    for (const layer of ['crop', 'ndvi']) {
      const response = await h.app.request(`/api/tiles/${layer}/${z}/${x}/${y}.png`, {
        headers: h.as('krtOfficer'),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/png');
      const png = decodePng(Buffer.from(await response.arrayBuffer()));
      expect([png.width, png.height]).toEqual([256, 256]);
      let painted = 0;
      for (let i = 3; i < png.rgba.length; i += 4) if ((png.rgba[i] ?? 0) > 0) painted++;
      expect(painted, layer).toBeGreaterThan(1000);
    }
    const other = await h.app.request(`/api/tiles/crop/${z}/${x}/${y}.png`, {
      headers: h.as('aalOfficer'),
    });
    const empty = decodePng(Buffer.from(await other.arrayBuffer()));
    expect(empty.rgba.every((v) => v === 0)).toBe(true);
    const anonymous = await h.app.request(`/api/tiles/crop/${z}/${x}/${y}.png`);
    expect(anonymous.status).toBe(401);
    expect((await h.call('krtOfficer', 'GET', `/api/tiles/crop/${z}/${x}/abc.png`)).status).toBe(
      400,
    );
    const legend = await h.call('krtOfficer', 'GET', '/api/tiles/crop/legend');
    expect(legend.status).toBe(200);
    expect(legend.body.entries.map((e: { cropCode: number }) => e.cropCode)).toContain(1200);
  });

  it('stores a failed run with its error, runs again at the next interval, and stop() waits', async () => {
    const id = await h.idOf('parcels', 'code', 'P-KRT-02-1');
    await h.storage.query('delete from satellite_parcel_items where parcel_id = $1', [id]);
    const { rows: before } = await h.storage.query<{ id: string }>(
      'select coalesce(max(id), 0)::text as id from satellite_runs',
    );
    let calls = 0;
    const classify: ClassifyFunction = async (items, parcels, options) => {
      calls++;
      if (calls === 1) throw new Error('the model exploded');
      return classifyParcels(items, parcels, options);
    };
    const job = createSatelliteJob({
      storage: h.storage,
      sources: sources.split(','),
      intervalMs: 1_000,
      modelPath: 'fixtures/models/crop-type.onnx',
      classify,
    });
    job.start();
    const deadline = Date.now() + 60_000;
    let runs: { status: string; error: string | null; parcels_classified: number }[] = [];
    while (Date.now() < deadline) {
      ({ rows: runs } = await h.storage.query(
        `select status, error, parcels_classified from satellite_runs
          where id > $1 and status <> 'running' order by id`,
        [before[0]?.id ?? '0'],
      ));
      if (runs.length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await job.stop();
    expect(job.running).toBe(false);
    expect(runs[0]).toMatchObject({ status: 'failed', error: 'the model exploded' });
    expect(runs[1]).toMatchObject({ status: 'succeeded', error: null });
    // P-KRT-02-1, and F-KRT-01's six parcels once more for the broken scene's third and last try.
    expect(Number(runs[1]?.parcels_classified)).toBe(7);
    const { rows: pairs } = await h.storage.query(
      'select 1 from satellite_parcel_items where parcel_id = $1',
      [id],
    );
    expect(pairs.length).toBeGreaterThan(20);
    const { rows: broken } = await h.storage.query<{ attempts: number; status: string }>(
      'select attempts, status from satellite_items where item_id = $1',
      [BROKEN_ID],
    );
    expect(broken[0]).toEqual({ attempts: 3, status: 'failed' });
  });

  it('checks a parcel again when its declaration changes, and nothing else', async () => {
    const idle = await h.call('admin', 'POST', '/api/satellite/runs');
    expect(idle.body.parcelsClassified).toBe(0);
    const id = await h.idOf('parcels', 'code', 'P-KRT-02-4');
    const patched = await h.call('krtOfficer', 'PATCH', `/api/parcels/${id}`, {
      declaredCropCode: 1200,
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const run = await h.call('admin', 'POST', '/api/satellite/runs');
    expect(run.body.parcelsClassified).toBe(1);
    expect(run.body.observationsWritten).toBe(0);
    const status = await h.call('krtOfficer', 'GET', '/api/parcels/status.geojson');
    const parcel = (
      status.body.features as { properties: { code: string; status: string } }[]
    ).find((f) => f.properties.code === 'P-KRT-02-4');
    expect(parcel?.properties.status).toBe('mismatch');
  });

  describe('with two instances on one database', () => {
    const MODEL = 'fixtures/models/crop-type.onnx';
    afterEach(async () => {
      // A test that failed half-way must not leave a lease that refuses the next one's runs.
      await h.storage.query('delete from job_leases');
    });

    /** The job as instance `instanceId` runs it, on the shared database and sources. */
    function jobOf(
      instanceId: string,
      more: Partial<Parameters<typeof createSatelliteJob>[0]> = {},
    ): ReturnType<typeof createSatelliteJob> {
      return createSatelliteJob({
        storage: h.storage,
        sources: sources.split(','),
        intervalMs: 3_600_000,
        modelPath: MODEL,
        instanceId,
        ...more,
      });
    }
    /** Makes the next run classify one parcel again, so it reaches the classifier. */
    async function forgetParcel(code: string): Promise<void> {
      const id = await h.idOf('parcels', 'code', code);
      await h.storage.query('delete from satellite_parcel_items where parcel_id = $1', [id]);
    }
    async function runsAfter(id: string): Promise<{ trigger: string; status: string }[]> {
      const { rows } = await h.storage.query<{ trigger: string; status: string }>(
        'select trigger, status from satellite_runs where id > $1 order by id',
        [id],
      );
      return rows;
    }
    async function lastRunId(): Promise<string> {
      const { rows } = await h.storage.query<{ id: string }>(
        'select coalesce(max(id), 0)::text as id from satellite_runs',
      );
      return rows[0]?.id ?? '0';
    }

    it('runs the job in one instance at a time: the other answers 409 meanwhile, and runs after', async () => {
      await forgetParcel('P-KRT-02-2');
      const before = await lastRunId();
      const gated = gatedClassify();
      const a = jobOf('instance-a', {
        classify: gated.classify,
        // Renewed every 100 ms: the wait below outlasts the ttl several times over.
        leaseTtlMs: 300,
      });
      const logged: Record<string, unknown>[] = [];
      const b = jobOf('instance-b', {
        leaseTtlMs: 300,
        logger: createLogger({
          level: 'debug',
          write: (line) => logged.push(JSON.parse(line) as Record<string, unknown>),
        }),
      });
      const runA = a.runNow({ requestedBy: null });
      try {
        await Promise.race([gated.entered, runA]);
        await new Promise((resolve) => setTimeout(resolve, 1_000));

        // Run now on the other instance: refused, naming the holder and its lease expiry.
        const refused = await b.runNow().then(
          () => null,
          (error: unknown) => error,
        );
        expect(refused).toBeInstanceOf(LeaseHeldError);
        const held = refused as LeaseHeldError;
        expect(held.status).toBe(409);
        expect(held.code).toBe('conflict');
        expect(held.holder).toBe('instance-a');
        expect(held.message).toMatch(
          /running on another instance \(instance-a, lease until \d{4}-/,
        );
        expect(held.expiresAt.getTime()).toBeGreaterThan(Date.now() - 5_000);

        // The same through the API, on the service's own job (this process's instance).
        const api = await h.call('admin', 'POST', '/api/satellite/runs');
        expect(api.status).toBe(409);
        expect(api.body.error.code).toBe('conflict');
        expect(api.body.error.message).toMatch(/another instance \(instance-a, lease until/);
        expect(api.body.error.details).toMatchObject({ lease: 'satellite', holder: 'instance-a' });

        // A scheduled run on the other instance: skipped, logged at info, no run stored.
        b.start();
        await waitFor(() => logged.some((l) => String(l['msg']).includes('skipped')));
        expect(logged.find((l) => String(l['msg']).includes('skipped'))).toMatchObject({
          level: 'info',
          holder: 'instance-a',
        });
        expect(await runsAfter(before)).toEqual([{ trigger: 'api', status: 'running' }]);
      } finally {
        gated.open();
      }
      const done = await runA;
      expect(done.status, String(done.error)).toBe('succeeded');
      expect(done.parcelsClassified).toBeGreaterThanOrEqual(1);
      const { rows: leases } = await h.storage.query('select * from job_leases');
      expect(leases).toEqual([]); // released at the end of the run

      const after = await b.runNow();
      expect(after.status).toBe('succeeded');
      await b.stop();
      await a.stop();
      expect(await runsAfter(before)).toEqual([
        { trigger: 'api', status: 'succeeded' },
        { trigger: 'api', status: 'succeeded' },
      ]);
    });

    it('aborts a run whose lease another instance took, and stores why', async () => {
      await forgetParcel('P-KRT-02-3');
      const before = await lastRunId();
      const gated = gatedClassify();
      const a = jobOf('instance-a', { classify: gated.classify, leaseTtlMs: 300 });
      const runA = a.runNow();
      try {
        await Promise.race([gated.entered, runA]);
        // What instance-b does when instance-a stalled past its lease (a long pause, a split).
        await h.storage.query(
          `update job_leases set holder = 'instance-b', acquired_at = now(),
                  expires_at = now() + interval '1 minute' where name = 'satellite'`,
        );
        const failure = await runA.then(
          () => null,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(SatelliteLeaseLostError);
        expect((failure as SatelliteLeaseLostError).status).toBe(409);
      } finally {
        gated.open();
      }
      const { rows } = await h.storage.query<{ status: string; error: string }>(
        'select status, error from satellite_runs where id > $1 order by id',
        [before],
      );
      expect(rows).toEqual([
        {
          status: 'failed',
          error:
            "aborted: the satellite run's lease was lost: lease satellite of instance-a was taken by another instance after it expired",
        },
      ]);
      // instance-a left instance-b's lease alone.
      const { rows: leases } = await h.storage.query<{ holder: string }>(
        'select holder from job_leases',
      );
      expect(leases).toEqual([{ holder: 'instance-b' }]);
      await a.stop();
    });

    it('releases the lease when stop() aborts a run', async () => {
      await forgetParcel('P-KRT-02-3');
      const gated = gatedClassify();
      const a = jobOf('instance-a', { classify: gated.classify });
      const runA = a.runNow();
      await Promise.race([gated.entered, runA]);
      await a.stop();
      await expect(runA).rejects.toThrow();
      const { rows } = await h.storage.query('select * from job_leases');
      expect(rows).toEqual([]);
      gated.open();
    });
  });
});
