/**
 * `pledgewatch` as a user runs it: a real process from bin/pledgewatch.js, its exit code and output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgStorage } from '../db/pg-storage.ts';
import { createTestDatabase } from '../testing/databases.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const commandNames = [
  'serve',
  'migrate',
  'seed-demo',
  'create-user',
  'create-api-key',
  'config',
] as const;

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface CliRun extends Exit {
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** The environment minus every variable the service reads, so the host's settings never leak in. */
function cleanEnv(env: Record<string, string>): Record<string, string | undefined> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('PW_') && name !== 'DATABASE_URL' && name !== 'MQTT_URL',
    ),
  );
  return { ...inherited, ...env };
}

function spawnCli(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['bin/pledgewatch.js', ...args], {
    cwd: projectRoot,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

/** Runs `pledgewatch ...args` to its end; a run longer than `timeoutMs` is killed and fails. */
async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliRun> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const startedAt = Date.now();
  const child = spawnCli(args, options.env ?? {});
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await exitOf(child);
  clearTimeout(timer);
  const durationMs = Date.now() - startedAt;
  if (exit.signal === 'SIGKILL') {
    throw new Error(
      `pledgewatch ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stderr}`,
    );
  }
  return { ...exit, stdout, stderr, durationMs };
}

interface RunningServe {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logLines: string[];
  readonly exited: Promise<Exit>;
}

/**
 * Starts `pledgewatch serve` and resolves once it logs "listening" (killed after `timeoutMs`). The
 * limit is generous: on a loaded two-core machine the embedded database alone has taken 25 s.
 */
function startServe(env: Record<string, string>, timeoutMs = 90_000): Promise<RunningServe> {
  const child = spawnCli(['serve'], env);
  running.add(child);
  const logLines: string[] = [];
  const exited = exitOf(child);
  void exited.then(() => running.delete(child));
  child.stdout?.resume();
  let pending = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`serve did not log "listening" within ${timeoutMs} ms:\n${logLines.join('\n')}`),
      );
    }, timeoutMs);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        logLines.push(line);
        const entry = parseLogLine(line);
        if (entry?.msg === 'listening' && typeof entry['url'] === 'string') {
          clearTimeout(timer);
          resolve({ child, url: entry['url'], logLines, exited });
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`serve exited (${code ?? signal}) before listening:\n${logLines.join('\n')}`),
      );
    });
  });
}

async function stopServe(serve: RunningServe, timeoutMs = 30_000): Promise<Exit> {
  serve.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`serve still running ${timeoutMs} ms after SIGTERM`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([serve.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function parseLogLine(line: string): ({ msg?: string } & Record<string, unknown>) | null {
  try {
    return JSON.parse(line) as { msg?: string } & Record<string, unknown>;
  } catch {
    return null; // not a log line: ignored on purpose
  }
}

async function getJson(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000), ...init });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? null : (JSON.parse(text) as unknown),
    headers: response.headers,
  };
}

/** Logs in over HTTP; returns the session cookie to send back. */
async function logIn(baseUrl: string, email: string, password: string): Promise<string> {
  const response = await getJson(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  const cookie = /pw_session=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
  expect(cookie).toBeDefined();
  return cookie ?? '';
}

const running = new Set<ChildProcess>();
const tmpDirs: string[] = [];

async function makeTmpDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pledgewatch-cli-'));
  tmpDirs.push(dir);
  return dir;
}

afterAll(async () => {
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(
    [...running].map((child) => (child.exitCode === null ? exitOf(child) : undefined)),
  );
  await Promise.all(tmpDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('pledgewatch help and errors', () => {
  it('--help lists the commands, and each command has usage', async () => {
    const overview = await runCli(['--help']);
    expect(overview.code).toBe(0);
    for (const name of commandNames)
      expect(overview.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));

    const runs = await Promise.all(commandNames.map((name) => runCli([name, '--help'])));
    runs.forEach((run, i) => {
      expect(run.code, `${commandNames[i]} --help`).toBe(0);
      expect(run.stdout).toContain(`pledgewatch ${commandNames[i]}`);
    });
  });

  it('an unknown command exits 1 and names it', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });

  it('bad configuration exits 1 listing every problem at once', async () => {
    const dataDir = await makeTmpDir();
    const env = {
      PW_DATA_DIR: dataDir,
      PW_HTTP_PORT: 'abc',
      PW_DEMO_SEED: 'yes',
      DATABASE_URL: 'mysql://x',
      PW_LOG_LEVEL: 'loud',
    };
    const problems = [
      'PW_HTTP_PORT: expected integer 0-65535, got "abc"',
      'PW_DEMO_SEED: expected true or false, got "yes"',
      'DATABASE_URL: expected a URL with scheme postgres or postgresql, got "mysql://x"',
      'PW_LOG_LEVEL: expected one of debug, info, warn, error, got "loud"',
    ];
    const [config, serve] = await Promise.all([
      runCli(['config'], { env }),
      runCli(['serve'], { env, timeoutMs: 10_000 }),
    ]);
    for (const run of [config, serve]) {
      expect(run.code).toBe(1);
      for (const problem of problems) expect(run.stderr).toContain(problem);
      expect(run.stderr).not.toContain('"msg":"listening"');
    }
    // serve never got as far as opening a database or listening.
    expect(serve.durationMs).toBeLessThan(5_000);
  });

  it('config masks the passwords in DATABASE_URL and MQTT_URL', async () => {
    const run = await runCli(['config'], {
      env: {
        PW_DATA_DIR: await makeTmpDir(),
        DATABASE_URL: 'postgres://pw:s3cret-db@db.example:5432/pledgewatch',
        MQTT_URL: 'mqtt://dev:s3cret-mqtt@broker.example:1883',
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('s3cret');
    const printed = JSON.parse(run.stdout) as { databaseUrl: string; mqtt: { url: string } };
    expect(printed.databaseUrl).toBe('postgres://pw:***@db.example:5432/pledgewatch');
    expect(printed.mqtt.url).toBe('mqtt://dev:***@broker.example:1883');
  });
});

describe('pledgewatch migrate on TimescaleDB', () => {
  it('applies every migration once, then nothing', async () => {
    const database = await createTestDatabase();
    try {
      const env = { DATABASE_URL: database.url, PW_DATA_DIR: await makeTmpDir() };
      const first = await runCli(['migrate'], { env });
      expect(first.code, first.stderr).toBe(0);
      // Every migration in the folder, the TimescaleDB ones included, in order.
      const all = (await readdir(path.join(projectRoot, 'server/db/migrations')))
        .filter((name) => name.endsWith('.sql'))
        .sort();
      expect(all.length).toBeGreaterThanOrEqual(4);
      expect(JSON.parse(first.stdout)).toEqual({ applied: all, skipped: [], alreadyApplied: 0 });

      const second = await runCli(['migrate'], { env });
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout)).toEqual({
        applied: [],
        skipped: [],
        alreadyApplied: all.length,
      });
    } finally {
      await database.drop();
    }
  });
});

describe('pledgewatch serve on the embedded database', () => {
  it(
    'serves the demo portfolio, refuses a second process, and persists across restarts',
    { timeout: 300_000 },
    async () => {
      const env = {
        PW_DATA_DIR: await makeTmpDir(),
        PW_HTTP_PORT: '0',
        PW_MQTT_PORT: '0',
        PW_MQTT_WS_PORT: '0',
        PW_LOG_LEVEL: 'info',
      };

      const first = await startServe(env);
      expect(
        first.logLines.some((line) => parseLogLine(line)?.msg === 'demo portfolio loaded'),
      ).toBe(true);
      const health = await getJson(`${first.url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', backend: 'pglite' });

      // The portfolio needs a caller: a demo user logs in with the password written at seed time.
      expect((await getJson(`${first.url}/api/farms`)).status).toBe(401);
      const passwordsFile = path.join(env.PW_DATA_DIR, 'demo-user-passwords.json');
      expect((await stat(passwordsFile)).mode & 0o777).toBe(0o600);
      const passwords = JSON.parse(await readFile(passwordsFile, 'utf8')) as Record<string, string>;
      expect(Object.keys(passwords)).toHaveLength(7);
      const admin = 'joke.claes@pledgewatch.example';
      const cookie = await logIn(first.url, admin, passwords[admin] ?? '');
      const farms = await getJson(`${first.url}/api/farms`, { headers: { cookie } });
      expect(farms.status).toBe(200);
      expect(farms.body).toMatchObject({ type: 'FeatureCollection' });
      const codes = (
        farms.body as { features: Array<{ properties: { code: string } }> }
      ).features.map((f) => f.properties.code);
      expect(codes).toEqual(['F-AAL-01', 'F-AAL-02', 'F-KRT-01', 'F-KRT-02']);

      // A second process on the same data folder must not open the embedded database.
      const intruder = await runCli(['serve'], { env, timeoutMs: 10_000 });
      expect(intruder.code).toBe(1);
      expect(intruder.stderr).toMatch(/data folder .* is in use by process \d+/);
      expect((await getJson(`${first.url}/healthz`)).status).toBe(200);

      expect(await stopServe(first)).toEqual({ code: 0, signal: null });

      const again = await startServe(env);
      try {
        const log = again.logLines.map(parseLogLine);
        expect(log.some((entry) => entry?.msg === 'demo portfolio loaded')).toBe(false);
        expect(log.find((entry) => entry?.msg === 'schema ready')).toMatchObject({ applied: 0 });
        // The session survives the restart: it is in the database.
        const persisted = await getJson(`${again.url}/api/farms`, { headers: { cookie } });
        expect((persisted.body as { features: unknown[] }).features).toHaveLength(4);
      } finally {
        expect(await stopServe(again)).toEqual({ code: 0, signal: null });
      }
    },
  );
});

describe('pledgewatch create-user and create-api-key on TimescaleDB', () => {
  it('bootstraps a fresh installation: the first admin logs in, a script uses its key', async () => {
    const database = await createTestDatabase();
    const env = {
      DATABASE_URL: database.url,
      PW_DATA_DIR: await makeTmpDir(),
      PW_DEMO_SEED: 'false',
      PW_HTTP_PORT: '0',
      PW_MQTT_PORT: '0',
      PW_MQTT_WS_PORT: '0',
    };
    try {
      const created = await runCli(
        ['create-user', '--email', 'it@bank.example', '--name', 'IT Operations', '--role', 'admin'],
        { env },
      );
      expect(created.code, created.stderr).toBe(0);
      const user = JSON.parse(created.stdout) as Record<string, unknown>;
      expect(user).toMatchObject({
        email: 'it@bank.example',
        displayName: 'IT Operations',
        role: 'admin',
        branchId: null,
        hasPassword: true,
      });
      const password = String(user['password']);
      expect(password).toMatch(/^[\w-]{24}$/);
      expect(created.stderr).toContain('shown only this once');

      const keyRun = await runCli(
        ['create-api-key', '--email', 'IT@bank.example', '--name', 'nightly export'],
        { env },
      );
      expect(keyRun.code, keyRun.stderr).toBe(0);
      const made = JSON.parse(keyRun.stdout) as { key: string; prefix: string; name: string };
      expect(made.key).toMatch(new RegExp(`^pwk_${made.prefix}_[\\w-]{43}$`));
      expect(made.name).toBe('nightly export');

      // Neither secret is stored in the clear.
      const storage = openPgStorage({ connectionString: database.url, poolMax: 1 });
      try {
        const { rows } = await storage.query<{ password_hash: string; key_hash: string }>(
          `select u.password_hash, k.key_hash from users u join api_keys k on k.user_id = u.id`,
        );
        expect(rows).toHaveLength(1);
        expect(rows[0]?.password_hash).toMatch(/^scrypt\$/);
        expect(JSON.stringify(rows)).not.toContain(password);
        expect(JSON.stringify(rows)).not.toContain(made.key.slice(`pwk_${made.prefix}_`.length));
      } finally {
        await storage.close();
      }

      const duplicate = await runCli(
        ['create-user', '--email', 'it@bank.example', '--name', 'Again', '--role', 'admin'],
        { env },
      );
      expect(duplicate.code).toBe(1);
      expect(duplicate.stderr).toContain('already exists');
      const noBranch = await runCli(
        [
          'create-user',
          '--email',
          'o@bank.example',
          '--name',
          'O',
          '--role',
          'officer',
          '--branch',
          'NOPE',
        ],
        { env },
      );
      expect(noBranch.code).toBe(1);
      expect(noBranch.stderr).toContain('branch with code "NOPE" not found');
      const unknownUser = await runCli(
        ['create-api-key', '--email', 'x@bank.example', '--name', 'k'],
        {
          env,
        },
      );
      expect(unknownUser.code).toBe(1);
      expect(unknownUser.stderr).toContain('user with email "x@bank.example" not found');

      const serve = await startServe(env);
      try {
        const me = await getJson(`${serve.url}/api/auth/me`, {
          headers: { authorization: `Bearer ${made.key}` },
        });
        expect(me.status).toBe(200);
        expect(me.body).toMatchObject({ email: 'it@bank.example', role: 'admin' });
        const cookie = await logIn(serve.url, 'it@bank.example', password);
        const users = await getJson(`${serve.url}/api/users`, { headers: { cookie } });
        expect((users.body as { items: unknown[] }).items).toHaveLength(1);
      } finally {
        expect(await stopServe(serve)).toEqual({ code: 0, signal: null });
      }
    } finally {
      await database.drop();
    }
  });

  it('refuses bad arguments with the rule, before touching any database', async () => {
    const env = {
      PW_DATA_DIR: await makeTmpDir(),
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    };
    const runs = await Promise.all([
      runCli(['create-user', '--email', 'a@bank.example', '--name', 'A'], { env }),
      runCli(['create-user', '--email', 'a@bank.example', '--name', 'A', '--role', 'root'], {
        env,
      }),
      runCli(['create-user', '--email', 'a@bank.example', '--name', 'A', '--role', 'officer'], {
        env,
      }),
      runCli(['create-api-key', '--email', 'a@bank.example'], { env }),
      runCli(['create-api-key', '--email', 'a@bank.example', '--name', 'k', '--extra', 'x'], {
        env,
      }),
    ]);
    const messages = [
      '--role is required',
      '--role "root" must be one of officer, supervisor, admin',
      '--branch is required for role officer',
      '--name is required',
      "Unknown option '--extra'",
    ];
    runs.forEach((run, i) => {
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(messages[i]);
      expect(run.stderr).toContain('--help` for usage');
    });
  });
});
