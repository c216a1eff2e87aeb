/**
 * `pledgewatch` as a user runs it: a real process from bin/pledgewatch.js, its exit code and output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../testing/databases.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const commandNames = ['serve', 'migrate', 'seed-demo', 'config'] as const;

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

/** Starts `pledgewatch serve` and resolves once it logs "listening" (killed after `timeoutMs`). */
function startServe(env: Record<string, string>, timeoutMs = 20_000): Promise<RunningServe> {
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

async function stopServe(serve: RunningServe, timeoutMs = 5_000): Promise<Exit> {
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

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: (await response.json()) as unknown };
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
      expect(JSON.parse(first.stdout)).toEqual({
        applied: [
          '0001_domain.sql',
          '0002_observations_and_alerts.sql',
          '0003_hypertables.timescaledb.sql',
        ],
        skipped: [],
        alreadyApplied: 0,
      });

      const second = await runCli(['migrate'], { env });
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout)).toEqual({ applied: [], skipped: [], alreadyApplied: 3 });
    } finally {
      await database.drop();
    }
  });
});

describe('pledgewatch serve on the embedded database', () => {
  it('serves the demo portfolio, refuses a second process, and persists across restarts', async () => {
    const env = { PW_DATA_DIR: await makeTmpDir(), PW_HTTP_PORT: '0', PW_LOG_LEVEL: 'info' };

    const first = await startServe(env);
    expect(first.logLines.some((line) => parseLogLine(line)?.msg === 'demo portfolio loaded')).toBe(
      true,
    );
    const health = await getJson(`${first.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', backend: 'pglite' });
    const farms = await getJson(`${first.url}/api/farms`);
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
      const persisted = await getJson(`${again.url}/api/farms`);
      expect((persisted.body as { features: unknown[] }).features).toHaveLength(4);
    } finally {
      expect(await stopServe(again)).toEqual({ code: 0, signal: null });
    }
  });
});
