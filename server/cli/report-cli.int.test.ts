/**
 * `pledgewatch report` as an operator runs it: a real process from bin/pledgewatch.js against a
 * TimescaleDB database holding the demo portfolio, writing a branch's reports to a folder.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../db/migrate.ts';
import { openPgStorage } from '../db/pg-storage.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { reportContentHash } from '../report/content-hash.ts';
import type { ReportData } from '../report/types.ts';
import { createTestDatabase, type TestDatabase } from '../testing/databases.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `pledgewatch ...args` with only DATABASE_URL and PW_DATA_DIR of the service's settings. */
function runCli(args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('PW_') && name !== 'DATABASE_URL' && name !== 'MQTT_URL',
    ),
  );
  const child = spawn(process.execPath, ['bin/pledgewatch.js', ...args], {
    cwd: projectRoot,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('pledgewatch report', () => {
  let database: TestDatabase;
  let storage: Storage;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    storage = openPgStorage({ connectionString: database.url, poolMax: 2 });
    dir = await mkdtemp(path.join(tmpdir(), 'pledgewatch-report-'));
    await migrate(storage);
    await seedDemoPortfolio(storage, { dataDir: dir });
    env = { DATABASE_URL: database.url, PW_DATA_DIR: dir, PW_LOG_LEVEL: 'warn' };
  }, 120_000);

  afterAll(async () => {
    await storage?.close();
    await database?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('writes every active loan of the branch, each report kept with its hash', async () => {
    const out = path.join(dir, 'reports-krt');
    const run = await runCli(
      [
        'report',
        '--branch',
        'KRT',
        '--from',
        '2026-08-01',
        '--to',
        '2026-10-01',
        '--out',
        out,
        '--format',
        'html,csv,json',
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const loans = (
      await storage.query<{ reference: string }>(
        `select l.reference from loans l join branches b on b.id = l.branch_id
          where b.code = 'KRT' and l.status = 'active' order by l.reference`,
      )
    ).rows.map((r) => r.reference);
    expect(loans.length).toBeGreaterThan(1);
    const expected = loans.flatMap((ref) =>
      ['csv', 'html', 'json'].map((ext) => `report-${ref}-2026-08-01-2026-10-01.${ext}`),
    );
    expect((await readdir(out)).sort()).toEqual(expected.sort());

    // Progress per loan: i/n, reference, ms.
    for (const [i, ref] of loans.entries()) {
      expect(run.stderr).toMatch(new RegExp(`${i + 1}/${loans.length} ${ref} \\d+ ms`, 'm'));
    }
    const summary = JSON.parse(run.stdout) as { loans: number; written: number; failed: unknown[] };
    expect(summary).toMatchObject({ loans: loans.length, written: loans.length, failed: [] });

    // Each file names the same report: the JSON's hash is in the CSV, the HTML and the database.
    for (const ref of loans) {
      const base = path.join(out, `report-${ref}-2026-08-01-2026-10-01`);
      const data = JSON.parse(await readFile(`${base}.json`, 'utf8')) as ReportData;
      const hash = reportContentHash(data);
      expect(await readFile(`${base}.csv`, 'utf8')).toContain(hash);
      expect(await readFile(`${base}.html`, 'utf8')).toContain(hash);
      const stored = await storage.query<{ generated_by: string; generated_by_user_id: string }>(
        'select generated_by, generated_by_user_id from loan_reports where content_hash = $1',
        [hash],
      );
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0]?.generated_by).toMatch(/^pledgewatch report \(cli\), OS user /);
      expect(stored.rows[0]?.generated_by_user_id).toBeNull();
    }
  }, 180_000);

  it('reports a failing loan, writes the others and exits 1', async () => {
    // The database refuses to keep one loan's report: that loan fails, the others go on.
    await storage.exec(`
      create function refuse_l_2017() returns trigger language plpgsql as $$
      begin
        if new.data #>> '{loan,reference}' = 'L-2017-0001' then
          raise exception 'test: refusing the report of L-2017-0001';
        end if;
        return new;
      end $$;
      create trigger refuse_l_2017 before insert on loan_reports
        for each row execute function refuse_l_2017();`);
    try {
      const out = path.join(dir, 'reports-failing');
      const run = await runCli(
        [
          'report',
          '--branch',
          'KRT',
          '--from',
          '2026-08-01',
          '--to',
          '2026-10-01',
          '--out',
          out,
          '--format',
          'json',
          '--concurrency',
          '1',
        ],
        env,
      );
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/L-2017-0001 FAILED after \d+ ms: .*refusing the report/);
      expect(await readdir(out)).toEqual(['report-L-2024-0002-2026-08-01-2026-10-01.json']);
      const summary = JSON.parse(run.stdout) as { failed: Array<{ reference: string }> };
      expect(summary.failed.map((f) => f.reference)).toEqual(['L-2017-0001']);
    } finally {
      await storage.exec(
        'drop trigger refuse_l_2017 on loan_reports; drop function refuse_l_2017();',
      );
    }
  }, 180_000);

  it('fails clearly on an unknown branch and on bad dates', async () => {
    const unknown = await runCli(
      ['report', '--branch', 'NOPE', '--from', '2026-08-01', '--to', '2026-10-01', '--out', dir],
      env,
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--branch "NOPE" is not a branch; known: AAL, KRT');
    expect(unknown.stderr).toContain('pledgewatch report --help');

    const badDate = await runCli(
      ['report', '--branch', 'KRT', '--from', '2026-13-01', '--to', '2026-10-01', '--out', dir],
      env,
    );
    expect(badDate.code).toBe(1);
    expect(badDate.stderr).toContain('--from "2026-13-01" is not a calendar date');

    const tooLong = await runCli(
      ['report', '--branch', 'KRT', '--from', '2025-01-01', '--to', '2026-10-01', '--out', dir],
      env,
    );
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toContain('a report covers at most 400 days');
  }, 180_000);
});
