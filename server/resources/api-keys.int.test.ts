import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiHarness,
  demoUsers,
  type ApiHarness,
  type DemoUser,
} from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

describe.each(testBackends)('API keys on $name', (backend) => {
  let h: ApiHarness;
  let passwords: Record<string, string>;

  beforeAll(async () => {
    h = await createApiHarness(backend);
    passwords = JSON.parse(
      await readFile(path.join(h.dataDir, 'demo-user-passwords.json'), 'utf8'),
    ) as Record<string, string>;
  });
  afterAll(async () => {
    await h.close();
  });

  /** Signs the demo user in; returns the cookie header. */
  async function signIn(user: DemoUser): Promise<string> {
    const email = demoUsers[user];
    const response = await h.app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: passwords[email] }),
    });
    expect(response.status).toBe(200);
    return /pw_session=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0] ?? '';
  }

  async function request(
    auth: { cookie: string } | { authorization: string } | null,
    method: string,
    url: string,
    body?: unknown,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are read loosely
  ): Promise<{ status: number; body: any }> {
    const response = await h.app.request(url, {
      method,
      headers: {
        ...(auth ?? {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? null : JSON.parse(text) };
  }

  it('creates a key shown once, stores only its hash, and the key works', async () => {
    const cookie = await signIn('krtOfficer');
    const created = await request({ cookie }, 'POST', '/api/api-keys', { name: 'nightly export' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'nightly export',
      userEmail: demoUsers.krtOfficer,
      lastUsedAt: null,
      revokedAt: null,
    });
    const key = created.body.key as string;
    expect(key).toMatch(new RegExp(`^pwk_${created.body.prefix}_[\\w-]{43}$`));

    const { rows } = await h.storage.query<Record<string, unknown>>(
      'select * from api_keys where id = $1',
      [created.body.id],
    );
    expect(JSON.stringify(rows)).not.toContain(key.slice(`pwk_${created.body.prefix}_`.length));
    const audit = await h.storage.query<{ after: unknown }>(
      `select after from audit_log where entity_type = 'api_keys' and entity_id = $1`,
      [created.body.id],
    );
    expect(audit.rows).toHaveLength(1);
    expect(JSON.stringify(audit.rows)).not.toContain(key);
    expect(JSON.stringify(audit.rows)).not.toContain(String(rows[0]?.['key_hash']));

    const me = await request({ authorization: `Bearer ${key}` }, 'GET', '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(demoUsers.krtOfficer);
  });

  it('lists the caller’s keys without the key, with last use', async () => {
    const cookie = await signIn('aalOfficer');
    const created = await request({ cookie }, 'POST', '/api/api-keys', { name: 'script' });
    await request({ authorization: `Bearer ${created.body.key}` }, 'GET', '/api/borrowers');
    // lastUsedAt is written after the answer: wait for it.
    await expect
      .poll(async () => (await request({ cookie }, 'GET', '/api/api-keys')).body.items)
      .toContainEqual(
        expect.objectContaining({ id: created.body.id, lastUsedAt: expect.any(String) }),
      );
    const list = await request({ cookie }, 'GET', '/api/api-keys');
    expect(list.status).toBe(200);
    expect(
      list.body.items.every((k: { userEmail: string }) => k.userEmail === demoUsers.aalOfficer),
    ).toBe(true);
    expect(list.body.items.map((k: { name: string }) => k.name)).toEqual(['test', 'script']);
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    expect(list.body.items[0]).not.toHaveProperty('key');

    const page = await request({ cookie }, 'GET', '/api/api-keys?limit=1');
    expect(page.body.items).toHaveLength(1);
    const next = await request(
      { cookie },
      'GET',
      `/api/api-keys?limit=1&cursor=${page.body.nextCursor}`,
    );
    expect(next.body.items[0].id).toBe(created.body.id);
    expect(next.body.nextCursor).toBeNull();
  });

  it('only admins list another user’s keys', async () => {
    const officerId = await h.idOf('users', 'email', demoUsers.krtOfficer);
    const bySupervisor = await h.call('krtSupervisor', 'GET', `/api/api-keys?userId=${officerId}`);
    expect(bySupervisor.status).toBe(403);
    const byAdmin = await h.call('admin', 'GET', `/api/api-keys?userId=${officerId}`);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.items.length).toBeGreaterThanOrEqual(1);
    expect(byAdmin.body.items.every((k: { userId: string }) => k.userId === officerId)).toBe(true);
  });

  it('revokes a key: 401 from then on; others’ keys are 404 except for admins', async () => {
    const cookie = await signIn('krtOfficer2');
    const created = await request({ cookie }, 'POST', '/api/api-keys', { name: 'to revoke' });
    const bearer = { authorization: `Bearer ${created.body.key}` };
    expect((await request(bearer, 'GET', '/api/borrowers')).status).toBe(200);

    // Someone else's key is not found, not forbidden: it does not exist for them.
    expect((await h.call('krtOfficer', 'DELETE', `/api/api-keys/${created.body.id}`)).status).toBe(
      404,
    );
    expect(
      (await h.call('krtSupervisor', 'DELETE', `/api/api-keys/${created.body.id}`)).status,
    ).toBe(404);

    expect((await request({ cookie }, 'DELETE', `/api/api-keys/${created.body.id}`)).status).toBe(
      204,
    );
    const refused = await request(bearer, 'GET', '/api/borrowers');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toBe('API key refused');
    const listed = await request({ cookie }, 'GET', '/api/api-keys');
    expect(
      listed.body.items.find((k: { id: string }) => k.id === created.body.id).revokedAt,
    ).toEqual(expect.any(String));
    // Again: nothing changes.
    expect((await request({ cookie }, 'DELETE', `/api/api-keys/${created.body.id}`)).status).toBe(
      204,
    );
    const audit = await h.storage.query<{ action: string }>(
      `select action from audit_log where entity_type = 'api_keys' and entity_id = $1 order by id`,
      [created.body.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['create', 'delete']);

    const another = await request({ cookie }, 'POST', '/api/api-keys', { name: 'admin revokes' });
    expect((await h.call('admin', 'DELETE', `/api/api-keys/${another.body.id}`)).status).toBe(204);
    expect(
      (await request({ authorization: `Bearer ${another.body.key}` }, 'GET', '/api/auth/me'))
        .status,
    ).toBe(401);
  });

  it('an API key may not make more keys', async () => {
    const response = await h.call('krtSupervisor', 'POST', '/api/api-keys', { name: 'sneaky' });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toMatch(/^an API key may not create API keys/);
  });

  it('validates the name and needs a caller', async () => {
    const cookie = await signIn('aalSupervisor');
    const response = await request({ cookie }, 'POST', '/api/api-keys', { name: '  ' });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('json.name');
    expect((await h.call(null, 'GET', '/api/api-keys')).status).toBe(401);
    expect((await h.call(null, 'POST', '/api/api-keys', { name: 'x' })).status).toBe(401);
  });

  it('a malformed or unknown key is refused with 401', async () => {
    expect(
      (await request({ authorization: 'Bearer nonsense' }, 'GET', '/api/auth/me')).status,
    ).toBe(401);
    const fake = `pwk_ABCDEFGH_${'x'.repeat(43)}`;
    expect((await request({ authorization: `Bearer ${fake}` }, 'GET', '/api/auth/me')).status).toBe(
      401,
    );
  });
});
