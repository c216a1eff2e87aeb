import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

interface Problem {
  path: string;
  message: string;
}

describe.each(testBackends)('cameras API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let krtFarm1: string;
  let krtFarm2: string;
  let aalFarm2: string;
  let gwKrt1: string;
  let gwKrt2: string;
  let gwAal2: string;
  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    krtFarm1 = await h.idOf('farms', 'code', 'F-KRT-01');
    krtFarm2 = await h.idOf('farms', 'code', 'F-KRT-02');
    aalFarm2 = await h.idOf('farms', 'code', 'F-AAL-02');
    gwKrt1 = await h.idOf('gateways', 'code', 'GW-KRT-01');
    gwKrt2 = await h.idOf('gateways', 'code', 'GW-KRT-02');
    gwAal2 = await h.idOf('gateways', 'code', 'GW-AAL-02');
  });
  afterAll(async () => {
    await h.close();
  });

  const newCamera = (code: string, extra: Record<string, unknown> = {}) => ({
    farmId: krtFarm2,
    gatewayId: gwKrt2,
    code,
    name: 'Camera yard',
    zone: 'yard',
    ...extra,
  });
  const problems = (body: { error: { details: Problem[] } }): Problem[] => body.error.details;
  const codes = async (query: string, user: 'admin' | 'krtOfficer' = 'admin') =>
    (await h.call(user, 'GET', `/api/cameras${query}`)).body.items.map(
      (x: { code: string }) => x.code,
    );

  it('lists only the caller’s branch; an admin sees all', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/cameras');
    expect(krt.status).toBe(200);
    expect(krt.body.items.map((x: { code: string }) => x.code)).toEqual([
      'CAM-KRT-02-A',
      'CAM-KRT-02-B',
    ]);
    expect(krt.body.items[0]).toEqual({
      id: expect.any(String),
      branchId: krtBranch,
      farmId: krtFarm2,
      gatewayId: gwKrt2,
      code: 'CAM-KRT-02-A',
      name: 'Camera north paddock',
      zone: 'north paddock',
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
    });
    const aal = await h.call('aalOfficer', 'GET', '/api/cameras');
    expect(aal.body.items.map((x: { code: string }) => x.code)).toEqual(['CAM-AAL-02-A']);
    expect(await codes('')).toEqual(['CAM-AAL-02-A', 'CAM-KRT-02-A', 'CAM-KRT-02-B']);
  });

  it('pages with a cursor and filters by farm, gateway, text and the farm’s bbox', async () => {
    const first = await h.call('admin', 'GET', '/api/cameras?limit=2');
    expect(first.body.items).toHaveLength(2);
    const second = await h.call(
      'admin',
      'GET',
      `/api/cameras?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((x: { code: string }) => x.code)).toEqual(['CAM-KRT-02-B']);
    expect(second.body.nextCursor).toBeNull();

    expect(await codes(`?farmId=${aalFarm2}`)).toEqual(['CAM-AAL-02-A']);
    expect(await codes(`?gatewayId=${gwKrt2}`)).toEqual(['CAM-KRT-02-A', 'CAM-KRT-02-B']);
    expect(await codes(`?gatewayId=${gwKrt1}`)).toEqual([]);
    expect(await codes('?q=feed')).toEqual(['CAM-KRT-02-B']);
    expect(await codes('?q=meadow', 'krtOfficer')).toEqual([]);
    expect(await codes('?bbox=4.0,50.7,4.1,50.8')).toEqual(['CAM-AAL-02-A']);
    expect((await h.call('admin', 'GET', '/api/cameras?bbox=4,50,3,51')).status).toBe(400);
  });

  it('answers 404 for another branch’s camera on read, change and delete', async () => {
    const aalCamera = await h.idOf('cameras', 'code', 'CAM-AAL-02-A');
    expect((await h.call('krtOfficer', 'GET', `/api/cameras/${aalCamera}`)).status).toBe(404);
    const patch = await h.call('krtOfficer', 'PATCH', `/api/cameras/${aalCamera}`, { zone: 'x' });
    expect(patch.status).toBe(404);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/cameras/${aalCamera}`)).status).toBe(404);
    expect((await h.call('aalOfficer', 'GET', `/api/cameras/${aalCamera}`)).body.zone).toBe(
      'south meadow',
    );
  });

  it('answers 404 when creating on another branch’s farm', async () => {
    const response = await h.call(
      'krtOfficer',
      'POST',
      '/api/cameras',
      newCamera('CAM-404', { farmId: aalFarm2, gatewayId: gwAal2 }),
    );
    expect(response.status).toBe(404);
    expect(response.body.error.message).toContain('farm');
  });

  it('creates with an audit record; a duplicate code is a 409', async () => {
    const created = await h.call('krtOfficer', 'POST', '/api/cameras', newCamera('CAM-KRT-02-C'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      branchId: krtBranch,
      farmId: krtFarm2,
      gatewayId: gwKrt2,
      zone: 'yard',
    });
    const { rows } = await h.storage.query<{ action: string; branch_id: string; after: unknown }>(
      `select action, branch_id, after from audit_log where entity_type = 'cameras' and entity_id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([{ action: 'create', branch_id: krtBranch, after: created.body }]);

    const again = await h.call('krtOfficer', 'POST', '/api/cameras', newCamera('CAM-KRT-02-C'));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');

    const bare = await h.call('krtOfficer', 'POST', '/api/cameras', {
      farmId: krtFarm1,
      code: 'CAM-KRT-01-A',
      name: 'Camera gate',
    });
    expect(bare.status).toBe(201);
    expect(bare.body).toMatchObject({ gatewayId: null, zone: null });
  });

  it('refuses a gateway of another farm, naming gatewayId', async () => {
    for (const gatewayId of [gwKrt1, gwAal2, '00000000-0000-4000-8000-000000000000']) {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/cameras',
        newCamera('CAM-KRT-02-D', { gatewayId }),
      );
      expect(response.status).toBe(400);
      expect(problems(response.body)).toEqual([
        { path: 'json.gatewayId', message: `${gatewayId} is not a gateway of the camera’s farm` },
      ]);
    }
  });

  it('validates every field of the body with its path and rule', async () => {
    const cases: Array<[Record<string, unknown>, string, string | RegExp]> = [
      [{ code: 'CAM KRT' }, 'json.code', /letters, digits and \. _ : -/],
      [{ code: 'C'.repeat(65) }, 'json.code', /Too big: expected string to have <=64 characters/],
      [{ name: '' }, 'json.name', /Too small: expected string to have >=1 characters/],
      [{ name: undefined }, 'json.name', /expected string, received undefined/],
      [{ zone: '' }, 'json.zone', /Too small/],
      [{ zone: 3 }, 'json.zone', /expected string/],
      [{ gatewayId: 'GW-KRT-02' }, 'json.gatewayId', 'Invalid UUID'],
      [{ farmId: undefined }, 'json.farmId', /expected string, received undefined/],
      [{ resolution: '4K' }, 'json', 'Unrecognized key: "resolution"'],
    ];
    for (const [patch, path, message] of cases) {
      const response = await h.call(
        'krtOfficer',
        'POST',
        '/api/cameras',
        newCamera('CAM-KRT-02-E', patch),
      );
      expect(response.status, JSON.stringify(patch)).toBe(400);
      expect(problems(response.body), JSON.stringify(patch)).toEqual([
        { path, message: typeof message === 'string' ? message : expect.stringMatching(message) },
      ]);
    }
  });

  it('changes a camera with before and after in the audit log; its farm is fixed', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/cameras', newCamera('CAM-KRT-02-F'))).body
      .id;
    const changed = await h.call('krtOfficer', 'PATCH', `/api/cameras/${id}`, {
      zone: 'calf pens',
      gatewayId: null,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      zone: 'calf pens',
      gatewayId: null,
      name: 'Camera yard',
      farmId: krtFarm2,
    });
    const { rows } = await h.storage.query<{ before: unknown; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'update'`,
      [id],
    );
    expect(rows).toEqual([
      { before: expect.objectContaining({ zone: 'yard', gatewayId: gwKrt2 }), after: changed.body },
    ]);

    const moved = await h.call('krtOfficer', 'PATCH', `/api/cameras/${id}`, { farmId: krtFarm1 });
    expect(moved.status).toBe(400);
    expect(problems(moved.body)).toEqual([{ path: 'json', message: 'farmId cannot be changed' }]);
    const wrongGateway = await h.call('krtOfficer', 'PATCH', `/api/cameras/${id}`, {
      gatewayId: gwKrt1,
    });
    expect(problems(wrongGateway.body)).toEqual([
      { path: 'json.gatewayId', message: `${gwKrt1} is not a gateway of the camera’s farm` },
    ]);
    const taken = await h.call('krtOfficer', 'PATCH', `/api/cameras/${id}`, {
      code: 'CAM-KRT-02-A',
    });
    expect(taken.status).toBe(409);
    const reattached = await h.call('krtOfficer', 'PATCH', `/api/cameras/${id}`, {
      gatewayId: gwKrt2,
    });
    expect(reattached.body).toMatchObject({ gatewayId: gwKrt2, zone: 'calf pens' });
  });

  it('deletion needs a supervisor; a camera with recorded counts is a 409', async () => {
    const id = (await h.call('krtOfficer', 'POST', '/api/cameras', newCamera('CAM-KRT-02-G'))).body
      .id;
    const refused = await h.call('krtOfficer', 'DELETE', `/api/cameras/${id}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await h.call('krtSupervisor', 'DELETE', `/api/cameras/${id}`)).status).toBe(204);
    expect((await h.call('krtSupervisor', 'GET', `/api/cameras/${id}`)).status).toBe(404);
    const { rows } = await h.storage.query<{ before: unknown; after: unknown }>(
      `select before, after from audit_log where entity_id = $1 and action = 'delete'`,
      [id],
    );
    expect(rows).toEqual([
      { before: expect.objectContaining({ code: 'CAM-KRT-02-G' }), after: null },
    ]);

    const counted = await h.idOf('cameras', 'code', 'CAM-KRT-02-B');
    await h.storage.query(
      `insert into camera_counts (observed_at, camera_id, farm_id, species, head_count)
       values (now(), $1, $2, 'cattle', 12)`,
      [counted, krtFarm2],
    );
    const conflict = await h.call('krtSupervisor', 'DELETE', `/api/cameras/${counted}`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await h.call(null, 'GET', '/api/openapi.json');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/cameras', '/cameras/{id}']),
    );
  });
});
