import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

describe.each(testBackends)('gateways API on $name', (backend) => {
  let h: ApiHarness;
  let krtFarm: string;
  let aalFarm: string;

  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtFarm = await h.idOf('farms', 'code', 'F-KRT-01');
    aalFarm = await h.idOf('farms', 'code', 'F-AAL-01');
  });
  afterAll(async () => {
    await h.close();
  });

  /** A new gateway on the KRT farm, made by its supervisor: its id and its secret (shown once). */
  async function newKrtGateway(
    code: string,
    name: string,
  ): Promise<{ id: string; secret: string; body: Record<string, unknown> }> {
    const created = await h.call('krtSupervisor', 'POST', '/api/gateways', {
      farmId: krtFarm,
      code,
      name,
    });
    expect(created.status).toBe(201);
    return {
      id: created.body.id as string,
      secret: created.body.secret as string,
      body: created.body as Record<string, unknown>,
    };
  }

  function postReadings(code: string, secret: string): Promise<Response> {
    return Promise.resolve(
      h.app.request('/api/ingest/tag-readings', {
        method: 'POST',
        headers: {
          authorization: 'Basic ' + Buffer.from(`${code}:${secret}`).toString('base64'),
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          readings: [
            { tagId: 'T-GW-1', observedAt: new Date().toISOString(), lat: 50.8159, lon: 3.0238 },
          ],
        }),
      }),
    );
  }

  it('lists and reads only the caller’s branch, never with a secret', async () => {
    const krt = await h.call('krtOfficer', 'GET', '/api/gateways');
    expect(krt.status).toBe(200);
    expect(krt.body.items.map((g: { code: string }) => g.code)).toEqual(['GW-KRT-01', 'GW-KRT-02']);
    const all = await h.call('admin', 'GET', '/api/gateways');
    expect(all.body.items).toHaveLength(4);
    expect(JSON.stringify(all.body)).not.toMatch(/secret"|scrypt/i);
    const aalGateway = await h.idOf('gateways', 'code', 'GW-AAL-01');
    expect((await h.call('krtOfficer', 'GET', `/api/gateways/${aalGateway}`)).status).toBe(404);
    const read = await h.call('aalOfficer', 'GET', `/api/gateways/${aalGateway}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(read.body).toMatchObject({ code: 'GW-AAL-01', farmId: aalFarm, disabled: false });
  });

  it('creates with a secret shown once, stored hashed, absent from the audit record', async () => {
    expect(
      (
        await h.call('krtOfficer', 'POST', '/api/gateways', {
          farmId: krtFarm,
          code: 'GW-X',
          name: 'x',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await h.call('krtSupervisor', 'POST', '/api/gateways', {
          farmId: aalFarm,
          code: 'GW-X',
          name: 'x',
        })
      ).status,
    ).toBe(404);

    const created = await h.call('krtSupervisor', 'POST', '/api/gateways', {
      farmId: krtFarm,
      code: 'GW-KRT-03',
      name: 'Milking parlour gateway',
    });
    expect(created.status).toBe(201);
    const secret = created.body.secret as string;
    expect(secret).toMatch(/^[\w-]{32}$/);
    expect(created.body).toMatchObject({ code: 'GW-KRT-03', farmId: krtFarm, disabled: false });

    const { rows } = await h.storage.query<{ secret_hash: string }>(
      'select secret_hash from gateways where id = $1',
      [created.body.id],
    );
    expect(rows[0]?.secret_hash).toMatch(/^scrypt\$/);
    expect(rows[0]?.secret_hash).not.toContain(secret);
    const audit = await h.storage.query<{ action: string; before: unknown; after: unknown }>(
      `select action, before, after from audit_log where entity_type = 'gateways' and entity_id = $1`,
      [created.body.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['create']);
    expect(JSON.stringify(audit.rows)).not.toContain(secret);
    expect(JSON.stringify(audit.rows)).not.toContain(rows[0]?.secret_hash ?? 'none');

    const read = await h.call('krtSupervisor', 'GET', `/api/gateways/${created.body.id}`);
    expect(read.body).not.toHaveProperty('secret');
    expect((await postReadings('GW-KRT-03', secret)).status).toBe(200);
    expect((await postReadings('GW-KRT-03', 'a guess')).status).toBe(401);
  });

  it('rotates: the new secret once, the old one refused at once, audited without either', async () => {
    const created = await newKrtGateway('GW-KRT-ROT', 'Rotating gateway');
    const oldSecret = created.secret;
    // Verified once: the ingest path now remembers this secret for the gateway.
    expect((await postReadings('GW-KRT-ROT', oldSecret)).status).toBe(200);

    const id = created.id;
    expect((await h.call('krtOfficer', 'POST', `/api/gateways/${id}/rotate-secret`)).status).toBe(
      403,
    );
    expect(
      (await h.call('aalSupervisor', 'POST', `/api/gateways/${id}/rotate-secret`)).status,
    ).toBe(404);
    const rotated = await h.call('krtSupervisor', 'POST', `/api/gateways/${id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.secret as string;
    expect(newSecret).toMatch(/^[\w-]{32}$/);
    expect(newSecret).not.toBe(oldSecret);
    expect(Date.parse(rotated.body.secretRotatedAt)).toBeGreaterThanOrEqual(
      Date.parse(created.body.secretRotatedAt as string),
    );

    const refused = await postReadings('GW-KRT-ROT', oldSecret);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      'gateway credentials refused',
    );
    expect((await postReadings('GW-KRT-ROT', newSecret)).status).toBe(200);

    const audit = await h.storage.query<{ action: string; branch_id: string }>(
      `select action, branch_id, before, after from audit_log
       where entity_type = 'gateways' and entity_id = $1 order by id`,
      [id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['create', 'rotate_secret']);
    expect(audit.rows[1]?.branch_id).toBe(await h.idOf('branches', 'code', 'KRT'));
    for (const secret of [oldSecret, newSecret])
      expect(JSON.stringify(audit.rows)).not.toContain(secret);
    expect(JSON.stringify(audit.rows)).not.toContain('scrypt');
  });

  it('a disabled gateway is refused; enabling it again lets it in', async () => {
    const created = await h.call('aalSupervisor', 'POST', '/api/gateways', {
      farmId: aalFarm,
      code: 'GW-AAL-OFF',
      name: 'Off and on',
    });
    const id = created.body.id as string;
    expect(
      (await h.call('aalSupervisor', 'PATCH', `/api/gateways/${id}`, { disabled: true })).body
        .disabled,
    ).toBe(true);
    expect((await postReadings('GW-AAL-OFF', created.body.secret as string)).status).toBe(401);
    await h.call('aalSupervisor', 'PATCH', `/api/gateways/${id}`, {
      disabled: false,
      name: 'On again',
    });
    expect((await postReadings('GW-AAL-OFF', created.body.secret as string)).status).toBe(200);
  });

  it('refuses moving a gateway to another farm or setting its secret by PATCH', async () => {
    const id = await h.idOf('gateways', 'code', 'GW-KRT-01');
    const moved = await h.call('krtSupervisor', 'PATCH', `/api/gateways/${id}`, {
      farmId: aalFarm,
    });
    expect(moved.status).toBe(400);
    expect(moved.body.error.message).toContain('farmId cannot be changed');
    const secret = await h.call('krtSupervisor', 'PATCH', `/api/gateways/${id}`, {
      secret: 'mine',
    });
    expect(secret.status).toBe(400);
  });

  it('deletes (supervisors) a gateway nothing refers to', async () => {
    const created = await newKrtGateway('GW-KRT-DEL', 'To delete');
    expect((await h.call('krtOfficer', 'DELETE', `/api/gateways/${created.id}`)).status).toBe(403);
    expect((await h.call('krtSupervisor', 'DELETE', `/api/gateways/${created.id}`)).status).toBe(
      204,
    );
    expect((await postReadings('GW-KRT-DEL', created.secret)).status).toBe(401);
  });

  it('refuses (409) to delete a gateway whose readings are stored, and keeps it working', async () => {
    const { id, secret } = await newKrtGateway('GW-KRT-USED', 'Has readings');
    expect((await postReadings('GW-KRT-USED', secret)).status).toBe(200);
    const refused = await h.call('krtSupervisor', 'DELETE', `/api/gateways/${id}`);
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toMatch(/still referenced from table .*tag_readings/);
    expect((await postReadings('GW-KRT-USED', secret)).status).toBe(200);
  });
});
