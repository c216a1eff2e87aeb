import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifySecret } from '../auth/secrets.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { testBackends } from '../testing/databases.ts';
import { demoPortfolioPath, seedDemoPortfolio } from './seed-demo-portfolio.ts';

describe.each(testBackends)('demo seed on $name', (backend) => {
  let storage: Storage;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-seed-'));
    storage = await backend.open();
    await migrate(storage);
  });
  afterAll(async () => {
    await storage.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('writes nothing when the portfolio is broken', async () => {
    const portfolio = JSON.parse(await readFile(demoPortfolioPath, 'utf8')) as {
      users: Array<{ branchCode: string | null }>;
    };
    const broken = path.join(dataDir, 'broken.json');
    portfolio.users[0] = { ...portfolio.users[0], branchCode: 'NOPE' };
    await writeFile(broken, JSON.stringify(portfolio));
    await expect(seedDemoPortfolio(storage, { dataDir, file: broken })).rejects.toThrow(
      'demo portfolio: branch "NOPE" is not defined',
    );
    await expect(stat(path.join(dataDir, 'demo-user-passwords.json'))).rejects.toThrow(/ENOENT/);
    await expect(stat(path.join(dataDir, 'demo-gateway-secrets.json'))).rejects.toThrow(/ENOENT/);
  });

  it('gives every demo user a password, stored hashed, written once to an owner-only file', async () => {
    const result = await seedDemoPortfolio(storage, { dataDir });
    expect(result.seeded).toBe(true);
    const file = path.join(dataDir, 'demo-user-passwords.json');
    expect(result.passwordsFile).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const passwords = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    const { rows } = await storage.query<{ email: string; password_hash: string }>(
      'select email, password_hash from users order by email',
    );
    expect(Object.keys(passwords).sort()).toEqual(rows.map((r) => r.email));
    for (const row of rows) {
      const password = passwords[row.email] ?? '';
      expect(password).toMatch(/^[\w-]{24}$/);
      expect(row.password_hash).not.toContain(password);
      expect(await verifySecret(password, row.password_hash)).toBe(true);
    }
    const audit = await storage.query('select before, after from audit_log');
    for (const password of Object.values(passwords)) {
      expect(JSON.stringify(audit.rows)).not.toContain(password);
    }

    // A second seed finds the portfolio and leaves the file alone.
    const before = await readFile(file, 'utf8');
    expect((await seedDemoPortfolio(storage, { dataDir })).seeded).toBe(false);
    expect(await readFile(file, 'utf8')).toBe(before);
  });
});
