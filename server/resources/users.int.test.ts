import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, demoUsers, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';

describe.each(testBackends)('users API on $name', (backend) => {
  let h: ApiHarness;
  let krtBranch: string;
  let aalBranch: string;
  let passwords: Record<string, string>;

  beforeAll(async () => {
    h = await createApiHarness(backend);
    krtBranch = await h.idOf('branches', 'code', 'KRT');
    aalBranch = await h.idOf('branches', 'code', 'AAL');
    passwords = JSON.parse(
      await readFile(path.join(h.dataDir, 'demo-user-passwords.json'), 'utf8'),
    ) as Record<string, string>;
  });
  afterAll(async () => {
    await h.close();
  });

  async function login(email: string, password: string): Promise<Response> {
    return h.app.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
  }

  it('supervisors list their branch’s users, admins all, officers none', async () => {
    const krt = await h.call('krtSupervisor', 'GET', '/api/users');
    expect(krt.status).toBe(200);
    expect(krt.body.items.map((u: { email: string }) => u.email)).toEqual([
      demoUsers.krtSupervisor,
      demoUsers.krtOfficer,
      demoUsers.krtOfficer2,
    ]);
    expect(krt.body.items.every((u: { branchId: string }) => u.branchId === krtBranch)).toBe(true);
    const all = await h.call('admin', 'GET', '/api/users');
    expect(all.body.items).toHaveLength(7);
    expect(JSON.stringify(all.body)).not.toMatch(/password_hash|scrypt/);
    const officer = await h.call('krtOfficer', 'GET', '/api/users');
    expect(officer.status).toBe(403);
    expect(officer.body.error.message).toMatch(/GET \/api\/auth\/me/);
  });

  it('filters by role and text and pages', async () => {
    const supervisors = await h.call('admin', 'GET', '/api/users?role=supervisor');
    expect(supervisors.body.items.map((u: { email: string }) => u.email)).toEqual([
      demoUsers.krtSupervisor,
      demoUsers.aalSupervisor,
    ]);
    const found = await h.call('admin', 'GET', '/api/users?q=VERMEULEN');
    expect(found.body.items.map((u: { email: string }) => u.email)).toEqual([demoUsers.krtOfficer]);
    const first = await h.call('admin', 'GET', '/api/users?limit=4');
    const second = await h.call(
      'admin',
      'GET',
      `/api/users?limit=4&cursor=${first.body.nextCursor}`,
    );
    expect(first.body.items.length + second.body.items.length).toBe(7);
    expect(second.body.nextCursor).toBeNull();
  });

  it('reads: officers only themselves, supervisors their branch, 404 across branches', async () => {
    const me = await h.idOf('users', 'email', demoUsers.krtOfficer);
    const colleague = await h.idOf('users', 'email', demoUsers.krtOfficer2);
    const aalOfficer = await h.idOf('users', 'email', demoUsers.aalOfficer);
    const admin = await h.idOf('users', 'email', demoUsers.admin);
    expect((await h.call('krtOfficer', 'GET', `/api/users/${me}`)).status).toBe(200);
    expect((await h.call('krtOfficer', 'GET', `/api/users/${colleague}`)).status).toBe(403);
    expect((await h.call('krtOfficer', 'GET', `/api/users/${aalOfficer}`)).status).toBe(404);
    expect((await h.call('krtSupervisor', 'GET', `/api/users/${colleague}`)).status).toBe(200);
    expect((await h.call('krtSupervisor', 'GET', `/api/users/${aalOfficer}`)).status).toBe(404);
    expect((await h.call('krtSupervisor', 'GET', `/api/users/${admin}`)).status).toBe(404);
    expect((await h.call('admin', 'GET', `/api/users/${aalOfficer}`)).status).toBe(200);
  });

  it('only admins create users; the password is hashed and never answered', async () => {
    const body = {
      email: 'nieuw@bank.example',
      displayName: 'Nieuwe Collega',
      role: 'officer',
      branchId: aalBranch,
      password: 'a sufficiently long one',
    };
    expect((await h.call('aalSupervisor', 'POST', '/api/users', body)).status).toBe(403);
    expect((await h.call('aalOfficer', 'POST', '/api/users', body)).status).toBe(403);
    const created = await h.call('admin', 'POST', '/api/users', body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'nieuw@bank.example',
      role: 'officer',
      branchId: aalBranch,
      branchCode: 'AAL',
      hasPassword: true,
      disabled: false,
    });
    expect(JSON.stringify(created.body)).not.toContain(body.password);
    const { rows } = await h.storage.query<{ password_hash: string }>(
      'select password_hash from users where id = $1',
      [created.body.id],
    );
    expect(rows[0]?.password_hash).toMatch(/^scrypt\$/);
    const audit = await h.storage.query<{ branch_id: string; after: unknown }>(
      `select branch_id, after from audit_log where entity_type = 'users' and entity_id = $1`,
      [created.body.id],
    );
    expect(audit.rows[0]?.branch_id).toBe(aalBranch);
    expect(JSON.stringify(audit.rows)).not.toContain(body.password);
    expect(JSON.stringify(audit.rows)).not.toContain('scrypt');

    expect((await login(body.email, body.password)).status).toBe(200);
    const again = await h.call('admin', 'POST', '/api/users', {
      ...body,
      email: 'NIEUW@bank.example',
    });
    expect(again.status).toBe(409);
  });

  it('enforces the password and role/branch rules with field paths', async () => {
    const base = {
      email: 'regel@bank.example',
      displayName: 'Regel',
      role: 'officer',
      branchId: krtBranch,
    };
    const short = await h.call('admin', 'POST', '/api/users', { ...base, password: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.error.details[0].path).toBe('json.password');
    expect(short.body.error.message).not.toContain('short"');
    const sameAsEmail = await h.call('admin', 'POST', '/api/users', {
      ...base,
      password: 'Regel@bank.example',
    });
    expect(sameAsEmail.status).toBe(400);
    expect(sameAsEmail.body.error.message).toBe('json.password: must not be the email address');
    const noBranch = await h.call('admin', 'POST', '/api/users', { ...base, branchId: null });
    expect(noBranch.status).toBe(400);
    expect(noBranch.body.error.details[0].path).toBe('json.branchId');
    const missingBranch = await h.call('admin', 'POST', '/api/users', {
      ...base,
      branchId: '00000000-0000-4000-8000-000000000000',
    });
    expect(missingBranch.status).toBe(404);
    const badRole = await h.call('admin', 'POST', '/api/users', { ...base, role: 'root' });
    expect(badRole.status).toBe(400);
    // An admin needs no branch; without a password the user cannot log in.
    const admin = await h.call('admin', 'POST', '/api/users', {
      email: 'tweede.admin@bank.example',
      displayName: 'Tweede Admin',
      role: 'admin',
    });
    expect(admin.status).toBe(201);
    expect(admin.body).toMatchObject({ branchId: null, hasPassword: false });
    expect((await login('tweede.admin@bank.example', 'anything at all')).status).toBe(401);
  });

  it('changes: admins only; 404 across branches, 403 by role', async () => {
    const officer = await h.idOf('users', 'email', demoUsers.aalOfficer);
    expect(
      (await h.call('krtSupervisor', 'PATCH', `/api/users/${officer}`, { displayName: 'x' }))
        .status,
    ).toBe(404);
    expect(
      (await h.call('aalSupervisor', 'PATCH', `/api/users/${officer}`, { displayName: 'x' }))
        .status,
    ).toBe(403);
    expect(
      (await h.call('aalOfficer', 'PATCH', `/api/users/${officer}`, { role: 'admin' })).status,
    ).toBe(403);
    const changed = await h.call('admin', 'PATCH', `/api/users/${officer}`, {
      displayName: 'Bram De Vos Jr.',
    });
    expect(changed.status).toBe(200);
    expect(changed.body.displayName).toBe('Bram De Vos Jr.');
    const moved = await h.call('admin', 'PATCH', `/api/users/${officer}`, { branchId: null });
    expect(moved.status).toBe(400);
    // The new branch applies to the next request at once.
    const transferred = await h.call('admin', 'PATCH', `/api/users/${officer}`, {
      branchId: krtBranch,
    });
    expect(transferred.body.branchCode).toBe('KRT');
    const seen = await h.call('aalOfficer', 'GET', '/api/borrowers');
    expect(seen.body.items.map((b: { ref: string }) => b.ref)).toContain('B-001');
    await h.call('admin', 'PATCH', `/api/users/${officer}`, { branchId: aalBranch });
  });

  it('a new password ends the user’s sessions and is audited without the password', async () => {
    const email = demoUsers.aalSupervisor;
    const session = await login(email, passwords[email] ?? '');
    const cookie = /pw_session=[^;]+/.exec(session.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const id = await h.idOf('users', 'email', email);
    const newPassword = 'the new password, long';
    const changed = await h.call('admin', 'PATCH', `/api/users/${id}`, { password: newPassword });
    expect(changed.status).toBe(200);
    expect((await h.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(401);
    // API keys keep working after a password change.
    expect((await h.call('aalSupervisor', 'GET', '/api/auth/me')).status).toBe(200);
    expect((await login(email, passwords[email] ?? '')).status).toBe(401);
    expect((await login(email, newPassword)).status).toBe(200);
    const audit = await h.storage.query<{ after: { passwordChanged?: boolean } }>(
      `select after from audit_log where entity_type = 'users' and entity_id = $1 and action = 'update'`,
      [id],
    );
    expect(audit.rows.at(-1)?.after.passwordChanged).toBe(true);
    expect(JSON.stringify(audit.rows)).not.toContain(newPassword);
  });

  it('disabling ends sessions and revokes API keys; re-enabling lets the user log in again', async () => {
    const created = await h.call('admin', 'POST', '/api/users', {
      email: 'tijdelijk@bank.example',
      displayName: 'Tijdelijk',
      role: 'officer',
      branchId: krtBranch,
      password: 'temporary but long',
    });
    const session = await login('tijdelijk@bank.example', 'temporary but long');
    const cookie = /pw_session=[^;]+/.exec(session.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const key = await h.app.request('/api/api-keys', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'temp' }),
    });
    const bearer = `Bearer ${((await key.json()) as { key: string }).key}`;
    expect(
      (await h.app.request('/api/auth/me', { headers: { authorization: bearer } })).status,
    ).toBe(200);

    const disabled = await h.call('admin', 'PATCH', `/api/users/${created.body.id}`, {
      disabled: true,
    });
    expect(disabled.body).toMatchObject({ disabled: true, disabledAt: expect.any(String) });
    expect((await h.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(401);
    expect(
      (await h.app.request('/api/auth/me', { headers: { authorization: bearer } })).status,
    ).toBe(401);
    expect((await login('tijdelijk@bank.example', 'temporary but long')).status).toBe(401);
    const { rows } = await h.storage.query<{ revoked: boolean }>(
      'select revoked_at is not null as revoked from api_keys where user_id = $1',
      [created.body.id],
    );
    expect(rows).toEqual([{ revoked: true }]);

    const enabled = await h.call('admin', 'PATCH', `/api/users/${created.body.id}`, {
      disabled: false,
    });
    expect(enabled.body.disabled).toBe(false);
    expect((await login('tijdelijk@bank.example', 'temporary but long')).status).toBe(200);
    // Revoked keys stay revoked.
    expect(
      (await h.app.request('/api/auth/me', { headers: { authorization: bearer } })).status,
    ).toBe(401);
  });

  it('keeps at least one enabled admin', async () => {
    const admins = await h.call('admin', 'GET', '/api/users?role=admin');
    const others = admins.body.items.filter((u: { email: string }) => u.email !== demoUsers.admin);
    for (const other of others) {
      await h.call('admin', 'PATCH', `/api/users/${other.id}`, { disabled: true });
    }
    const self = await h.idOf('users', 'email', demoUsers.admin);
    const demoted = await h.call('admin', 'PATCH', `/api/users/${self}`, {
      role: 'supervisor',
      branchId: krtBranch,
    });
    expect(demoted.status).toBe(409);
    const disabled = await h.call('admin', 'PATCH', `/api/users/${self}`, { disabled: true });
    expect(disabled.status).toBe(409);
    expect(disabled.body.error.message).toMatch(/last enabled admin/);
    expect((await h.call('admin', 'GET', '/api/auth/me')).body.role).toBe('admin');
  });

  it('refuses unknown fields and needs a caller', async () => {
    const id = await h.idOf('users', 'email', demoUsers.krtOfficer);
    const extra = await h.call('admin', 'PATCH', `/api/users/${id}`, { passwordHash: 'x' });
    expect(extra.status).toBe(400);
    expect((await h.call(null, 'GET', '/api/users')).status).toBe(401);
  });
});
