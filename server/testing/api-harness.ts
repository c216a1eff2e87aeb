/**
 * Test support for the HTTP API: the app on a migrated database with the demo portfolio, and
 * bearer headers for demo users of each role and branch (API keys made directly in the database).
 */
import { AlertBus } from '../alerts/alert-bus.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { newApiKey } from '../auth/tokens.ts';
import { migrate } from '../db/migrate.ts';
import type { Storage } from '../db/storage.ts';
import { seedDemoPortfolio } from '../demo/seed-demo-portfolio.ts';
import { silentLogger } from '../logger.ts';
import type { TestBackend } from './databases.ts';

/** Demo users by the part they play in tests. */
export const demoUsers = {
  krtOfficer: 'lies.vermeulen@pledgewatch.example',
  krtOfficer2: 'pieter.declercq@pledgewatch.example',
  krtSupervisor: 'annelies.vanhoutte@pledgewatch.example',
  aalOfficer: 'bram.devos@pledgewatch.example',
  aalSupervisor: 'koen.verhaegen@pledgewatch.example',
  admin: 'joke.claes@pledgewatch.example',
} as const;

export type DemoUser = keyof typeof demoUsers;

export interface ApiHarness {
  readonly app: ReturnType<typeof createApp>;
  readonly storage: Storage;
  readonly dataDir: string;
  /** Headers that authenticate as the demo user. */
  as(user: DemoUser): Record<string, string>;
  /** `app.request` with JSON body and the user's headers; returns status and parsed body. */
  call(
    user: DemoUser | null,
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: any; headers: Headers }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The id of a demo row by its code column (`code`, `ref`, `reference`...). */
  idOf(table: string, column: string, value: string): Promise<string>;
  close(): Promise<void>;
}

export async function createApiHarness(
  backend: TestBackend,
  env: Record<string, string> = {},
): Promise<ApiHarness> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-api-'));
  const storage = await backend.open();
  await migrate(storage);
  await seedDemoPortfolio(storage, { dataDir });
  const config = loadConfig({ PW_DATA_DIR: dataDir, ...env });
  const app = createApp({
    config,
    storage,
    storageInfo: await storage.info(),
    logger: silentLogger,
    startedAt: new Date(),
    alertBus: new AlertBus(),
  });

  const headers = new Map<DemoUser, Record<string, string>>();
  for (const [user, email] of Object.entries(demoUsers) as Array<[DemoUser, string]>) {
    const key = newApiKey();
    await storage.query(
      `insert into api_keys (user_id, name, prefix, key_hash)
       select id, 'test', $2, $3 from users where email = $1`,
      [email, key.prefix, key.secretHash],
    );
    headers.set(user, { authorization: `Bearer ${key.key}` });
  }

  const as = (user: DemoUser): Record<string, string> => {
    const h = headers.get(user);
    if (h === undefined) throw new Error(`no demo user ${user}`);
    return h;
  };

  return {
    app,
    storage,
    dataDir,
    as,
    call: async (user, method, url, body) => {
      const response = await app.request(url, {
        method,
        headers: {
          ...(user === null ? {} : as(user)),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined
          ? {}
          : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? null : JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    idOf: async (table, column, value) => {
      const { rows } = await storage.query<{ id: string }>(
        `select id from ${table} where ${column} = $1`,
        [value],
      );
      const id = rows[0]?.id;
      if (id === undefined) throw new Error(`no ${table} with ${column} = ${value}`);
      return id;
    },
    close: async () => {
      await storage.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
