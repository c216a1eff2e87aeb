import { AlertBus } from '../alerts/alert-bus.ts';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { silentLogger } from '../logger.ts';
import { createApiHarness, demoUsers, type ApiHarness } from '../testing/api-harness.ts';
import { testBackends } from '../testing/databases.ts';
import { insertUser } from '../auth/users.ts';

type App = ReturnType<typeof createApp>;

describe.each(testBackends)('login, logout and me on $name', (backend) => {
  let h: ApiHarness;
  let passwords: Record<string, string>;
  let krtBranch: string;
  let userCount = 0;

  beforeAll(async () => {
    h = await createApiHarness(backend);
    passwords = JSON.parse(
      await readFile(path.join(h.dataDir, 'demo-user-passwords.json'), 'utf8'),
    ) as Record<string, string>;
    krtBranch = await h.idOf('branches', 'code', 'KRT');
  });
  afterAll(async () => {
    await h.close();
  });

  /** The service with other settings, on the same database (as a second instance would be). */
  async function appWith(env: Record<string, string>): Promise<App> {
    return createApp({
      config: loadConfig({ PW_DATA_DIR: h.dataDir, ...env }),
      storage: h.storage,
      storageInfo: await h.storage.info(),
      logger: silentLogger,
      startedAt: new Date(),
      alertBus: new AlertBus(),
    });
  }

  /** A fresh officer of KRT, so rate-limit tests do not lock each other's emails. */
  async function newOfficer(): Promise<{ email: string; password: string }> {
    userCount += 1;
    const email = `officer${userCount}.${backend.name}@bank.example`;
    const password = `a long password ${userCount}`;
    await insertUser(h.storage, {
      email,
      displayName: `Officer ${userCount}`,
      role: 'officer',
      branchId: krtBranch,
      password,
    });
    return { email, password };
  }

  function login(
    app: App,
    body: unknown,
    options: { url?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    return Promise.resolve(
      app.request(options.url ?? '/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        body: JSON.stringify(body),
      }),
    );
  }

  function sessionCookie(response: Response): string {
    const match = /pw_session=([^;]+)/.exec(response.headers.get('set-cookie') ?? '');
    if (match === null) throw new Error('no session cookie');
    return `pw_session=${match[1]}`;
  }

  async function errorOf(response: Response): Promise<{ code: string; message: string }> {
    return ((await response.json()) as { error: { code: string; message: string } }).error;
  }

  it('logs in: answers the user and sets an httpOnly, SameSite=Strict session cookie', async () => {
    const email = demoUsers.krtOfficer;
    const response = await login(h.app, { email, password: passwords[email] });
    expect(response.status).toBe(200);
    const user = (await response.json()) as Record<string, unknown>;
    expect(user).toMatchObject({
      email,
      displayName: 'Lies Vermeulen',
      role: 'officer',
      branchId: krtBranch,
      branchCode: 'KRT',
      disabled: false,
    });
    expect(JSON.stringify(user)).not.toMatch(/password_hash|scrypt/);
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^pw_session=[\w-]{43}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('Max-Age=43200');
    expect(setCookie).not.toContain('Secure');

    const cookie = sessionCookie(response);
    const me = await h.app.request('/api/auth/me', { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email, role: 'officer' });
    const borrowers = await h.app.request('/api/borrowers', { headers: { cookie } });
    expect(borrowers.status).toBe(200);

    const { rows } = await h.storage.query<{
      action: string;
      entity_id: string;
      branch_id: string;
    }>(
      `select action, entity_id, branch_id from audit_log where action = 'login' and entity_id = $1`,
      [String(user['id'])],
    );
    expect(rows).toEqual([{ action: 'login', entity_id: user['id'], branch_id: krtBranch }]);
  });

  it('takes the email in any case and with spaces around it', async () => {
    const email = demoUsers.aalOfficer;
    const response = await login(h.app, {
      email: `  ${email.toUpperCase()} `,
      password: passwords[email],
    });
    expect(response.status).toBe(200);
  });

  it('marks the cookie Secure over https, behind a trusted https proxy, or when configured', async () => {
    const email = demoUsers.krtOfficer2;
    const credentials = { email, password: passwords[email] };
    const https = await login(h.app, credentials, { url: 'https://pw.example/api/auth/login' });
    expect(https.headers.get('set-cookie')).toContain('Secure');

    const proxied = await appWith({ PW_HTTP_TRUST_PROXY: 'true' });
    const viaProxy = await login(proxied, credentials, {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(viaProxy.headers.get('set-cookie')).toContain('Secure');
    // Without trusting the proxy, its header is only a claim.
    const untrusted = await login(h.app, credentials, {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(untrusted.headers.get('set-cookie')).not.toContain('Secure');

    const configured = await appWith({
      PW_SESSION_COOKIE_SECURE: 'true',
      PW_SESSION_TTL_MS: '3600000',
    });
    const flagged = await login(configured, credentials);
    expect(flagged.headers.get('set-cookie')).toContain('Secure');
    expect(flagged.headers.get('set-cookie')).toContain('Max-Age=3600');
  });

  it('gives the same 401 for an unknown email, a wrong password and a disabled user', async () => {
    const { email, password } = await newOfficer();
    const unknown = await login(h.app, {
      email: 'nobody@bank.example',
      password: 'whatever it is',
    });
    const wrong = await login(h.app, { email, password: 'not the password' });
    await h.storage.query('update users set disabled_at = now() where email = $1', [email]);
    const disabled = await login(h.app, { email, password });
    for (const response of [unknown, wrong, disabled]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(await errorOf(response)).toMatchObject({
        code: 'unauthorized',
        message: 'email or password refused',
      });
    }
    const { rows } = await h.storage.query<{ email: string; succeeded: boolean }>(
      `select email, succeeded from login_attempts where email in ($1, 'nobody@bank.example')`,
      [email],
    );
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => !r.succeeded)).toBe(true);
  });

  it('refuses a malformed body with 400 without counting it', async () => {
    const response = await login(h.app, { email: 'x@bank.example' });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: 'invalid_input' });
    const { rows } = await h.storage.query(
      `select 1 from login_attempts where email = 'x@bank.example'`,
    );
    expect(rows).toHaveLength(0);
  });

  it('answers 429 with Retry-After after 5 failures for one email, even with the right password', async () => {
    const { email, password } = await newOfficer();
    for (let i = 0; i < 5; i++) {
      expect((await login(h.app, { email, password: `wrong guess ${i}` })).status).toBe(401);
    }
    const blocked = await login(h.app, { email, password });
    expect(blocked.status).toBe(429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(await errorOf(blocked)).toMatchObject({
      code: 'too_many_requests',
      message: expect.stringMatching(
        /^too many failed logins for this email \(5 in 15 min\): try again in \d+ s$/,
      ),
    });
    // The count is in the database: another instance (or a restarted one) refuses too.
    const other = await appWith({});
    expect((await login(other, { email, password })).status).toBe(429);
    // Refused attempts are not stored, so they do not extend the lock.
    const { rows } = await h.storage.query<{ n: number }>(
      'select count(*)::int as n from login_attempts where email = $1',
      [email],
    );
    expect(rows[0]?.n).toBe(5);
    // Other users are not affected.
    const unrelated = demoUsers.aalSupervisor;
    expect((await login(h.app, { email: unrelated, password: passwords[unrelated] })).status).toBe(
      200,
    );
  });

  it('forgets an email’s failures after a successful login', async () => {
    const { email, password } = await newOfficer();
    for (let i = 0; i < 4; i++) await login(h.app, { email, password: `wrong guess ${i}` });
    expect((await login(h.app, { email, password })).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      expect((await login(h.app, { email, password: `wrong again ${i}` })).status).toBe(401);
    }
    expect((await login(h.app, { email, password })).status).toBe(200);
  });

  it('lets the email in again once the window has passed', async () => {
    const app = await appWith({ PW_LOGIN_WINDOW_MS: '1500', PW_LOGIN_MAX_FAILURES_PER_EMAIL: '2' });
    const { email, password } = await newOfficer();
    await login(app, { email, password: 'wrong guess 1' });
    await login(app, { email, password: 'wrong guess 2' });
    const blocked = await login(app, { email, password });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await login(app, { email, password })).status).toBe(200);
  });

  it('counts failures per client address across emails, behind a trusted proxy', async () => {
    const app = await appWith({ PW_HTTP_TRUST_PROXY: 'true', PW_LOGIN_MAX_FAILURES_PER_IP: '3' });
    const from = (ip: string) => ({ headers: { 'x-forwarded-for': `10.9.9.9, ${ip}` } });
    for (let i = 0; i < 3; i++) {
      const response = await login(
        app,
        { email: `guess${i}@bank.example`, password: 'guessing' },
        from('203.0.113.7'),
      );
      expect(response.status).toBe(401);
    }
    const { email, password } = await newOfficer();
    const blocked = await login(app, { email, password }, from('203.0.113.7'));
    expect(blocked.status).toBe(429);
    expect(await errorOf(blocked)).toMatchObject({
      message: expect.stringMatching(/^too many failed logins from this address \(3 in 15 min\)/),
    });
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(app, { email, password }, from('203.0.113.8'))).status).toBe(200);
    const { rows } = await h.storage.query<{ client_ip: string }>(
      `select distinct client_ip from login_attempts where email like 'guess_@bank.example'`,
    );
    expect(rows).toEqual([{ client_ip: '203.0.113.7' }]);
  });

  it('lets no burst of parallel guesses past the limit', async () => {
    const { email } = await newOfficer();
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        login(h.app, { email, password: `parallel guess ${i}` }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
  });

  it('logs out: revokes the session, clears the cookie, audits', async () => {
    const email = demoUsers.krtSupervisor;
    const cookie = sessionCookie(await login(h.app, { email, password: passwords[email] }));
    const out = await h.app.request('/api/auth/logout', { method: 'POST', headers: { cookie } });
    expect(out.status).toBe(204);
    const cleared = out.headers.get('set-cookie') ?? '';
    expect(cleared).toMatch(/^pw_session=; /);
    expect(cleared).toContain('Max-Age=0');

    const me = await h.app.request('/api/auth/me', { headers: { cookie } });
    expect(me.status).toBe(401);
    expect(await errorOf(me)).toMatchObject({
      message: 'session expired or signed out: sign in again',
    });
    const { rows } = await h.storage.query<{ n: number }>(
      `select count(*)::int as n from audit_log a join users u on u.id::text = a.entity_id
       where a.action = 'logout' and u.email = $1`,
      [email],
    );
    expect(rows[0]?.n).toBe(1);
    // Logging out again, or without a session, is harmless.
    expect(
      (await h.app.request('/api/auth/logout', { method: 'POST', headers: { cookie } })).status,
    ).toBe(204);
    expect((await h.app.request('/api/auth/logout', { method: 'POST' })).status).toBe(204);
  });

  it('refuses an expired session', async () => {
    const email = demoUsers.aalOfficer;
    const cookie = sessionCookie(await login(h.app, { email, password: passwords[email] }));
    await h.storage.query(
      `update sessions set expires_at = now() - interval '1 second'
       where user_id = (select id from users where email = $1)`,
      [email],
    );
    expect((await h.app.request('/api/auth/me', { headers: { cookie } })).status).toBe(401);
  });

  it('me: the caller of an API key too; 401 without credentials', async () => {
    const me = await h.call('aalSupervisor', 'GET', '/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      email: demoUsers.aalSupervisor,
      role: 'supervisor',
      branchCode: 'AAL',
    });
    expect((await h.call(null, 'GET', '/api/auth/me')).status).toBe(401);
  });
});
