/**
 * End-to-end harness for the map: the real service (HTTP API, MQTT edge, the built map) on free
 * ports of 127.0.0.1 with the demo portfolio in a fresh database, and a real headless Chromium
 * driven by playwright-core (../shared/recipes/browser.md).
 *
 * The browser is `PW_TEST_CHROMIUM` (set by `npm test`, which installs Debian's chromium when it is
 * missing) or /usr/bin/chromium; `findChromium()` answers null when there is neither, and the
 * tests then skip with a message saying how to get one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { startService, type RunningService } from '../../server/main.ts';
import { createTestDatabase, type TestDatabase } from '../../server/testing/databases.ts';
import { HERD_OFFSET_PX } from '../style/herd-style.ts';

export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const artifactsDir = path.join(projectRoot, 'test-artifacts', 'e2e');

export const HOW_TO_GET_CHROMIUM =
  'no Chromium for the browser tests: run them with `npm test` (it installs Debian’s chromium ' +
  'if missing), or `sudo scripts/install-chromium.sh`, or set PW_TEST_CHROMIUM to a Chromium ' +
  'or Chrome executable';

/** The browser to drive: PW_TEST_CHROMIUM, else Debian's /usr/bin/chromium, else null. */
export function findChromium(): string | null {
  const given = process.env['PW_TEST_CHROMIUM'];
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`PW_TEST_CHROMIUM=${given} does not exist`);
    return given;
  }
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
}

/** Builds web/ into web/dist when the build is missing or older than its sources. */
export function buildWebIfStale(): void {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(projectRoot, 'scripts', 'build-web-if-needed.ts')],
    { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0)
    throw new Error(`building the map failed (exit ${result.status ?? result.signal})`);
}

export interface E2eService {
  readonly url: string;
  readonly service: RunningService;
  /** The demo users' one-time passwords, email -> password, as the seed wrote them. */
  readonly passwords: Readonly<Record<string, string>>;
  /** The demo gateways' one-time secrets, code -> secret. */
  readonly gatewaySecrets: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Starts the service in this process on a fresh database (on DATABASE_URL's server) seeded with
 * the demo portfolio; `env` adds or overrides service variables (e.g. a basemap).
 */
export async function startE2eService(env: Record<string, string> = {}): Promise<E2eService> {
  const database: TestDatabase = await createTestDatabase();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'pw-e2e-'));
  try {
    const config = loadConfig({
      DATABASE_URL: database.url,
      PW_DATA_DIR: dataDir,
      PW_HTTP_HOST: '127.0.0.1',
      PW_HTTP_PORT: '0',
      PW_MQTT_HOST: '127.0.0.1',
      PW_MQTT_PORT: '0',
      PW_MQTT_WS_PORT: '0',
      PW_DB_POOL_MAX: '4',
      PW_DEMO_SEED: 'true',
      PW_SHUTDOWN_TIMEOUT_MS: '2000',
      ...env,
    });
    const service = await startService(config, createLogger({ level: 'warn' }));
    const passwords = JSON.parse(
      await readFile(path.join(dataDir, 'demo-user-passwords.json'), 'utf8'),
    ) as Record<string, string>;
    const gatewaySecrets = JSON.parse(
      await readFile(path.join(dataDir, 'demo-gateway-secrets.json'), 'utf8'),
    ) as Record<string, string>;
    return {
      url: service.url,
      service,
      passwords,
      gatewaySecrets,
      stop: async () => {
        await service.stop();
        await database.drop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database.drop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    throw new Error('starting the service for the browser tests failed', { cause: error });
  }
}

/** Headless Chromium with the flags that keep it quiet and offline (the browser recipe). */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // playwright-core gives each launch a new empty profile (its own --user-data-dir).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    timeout: 30_000,
  });
}

/** What `window.__pledgewatch` (web/test-hook.ts) reports, as the tests read it. */
export interface ProbeView {
  ready: boolean;
  error: string | null;
  counts: Record<string, number>;
  codes: Record<string, string[]>;
  parcelStatuses: Record<string, number>;
  herds: { code: string; headCount: number | null; pledgedHeadCount: number }[];
  rendered: Record<string, number>;
  basemap: string | null;
}

/**
 * Opens the map, signs in through its login dialog, and waits until the portfolio is drawn;
 * answers what the map shows. A load error on the page fails with the page's message.
 */
export async function openMapAs(
  page: Page,
  baseUrl: string,
  email: string,
  password: string,
): Promise<ProbeView> {
  await page.goto(`${baseUrl}/`);
  const dialog = page.locator('dialog');
  await dialog.locator('input[name=email]').fill(email);
  await dialog.locator('input[name=password]').fill(password);
  await dialog.locator('button[type=submit]').click();
  await page.waitForFunction(
    () => {
      const probe = (globalThis as { __pledgewatch?: { ready: boolean; error: string | null } })
        .__pledgewatch;
      return probe !== undefined && (probe.ready || probe.error !== null);
    },
    undefined,
    { timeout: 30_000 },
  );
  return readProbe(page);
}

export async function readProbe(page: Page): Promise<ProbeView> {
  const view = await page.evaluate(() => {
    const probe = (
      globalThis as {
        __pledgewatch?: Omit<ProbeView, 'rendered'> & {
          renderedCounts(): Record<string, number>;
        };
      }
    ).__pledgewatch;
    if (probe === undefined) return null;
    return {
      ready: probe.ready,
      error: probe.error,
      counts: probe.counts,
      codes: probe.codes,
      parcelStatuses: probe.parcelStatuses,
      herds: probe.herds,
      rendered: probe.renderedCounts(),
      basemap: probe.basemap,
    };
  });
  if (view === null) throw new Error('the page has no window.__pledgewatch');
  if (view.error !== null) throw new Error(`the map failed to load: ${view.error}`);
  return view;
}

/** Saves a PNG of the page under test-artifacts/e2e/ and answers its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Clicks the herd's symbol on the map (drawn HERD_OFFSET_PX below the herd's anchor point). */
export async function clickHerdSymbol(page: Page, herdCode: string): Promise<void> {
  const pixel = await page.evaluate((code) => {
    const probe = (globalThis as { __pledgewatch?: { bench?: unknown } }).__pledgewatch;
    const bench = probe?.bench as {
      map: {
        getLayers(): { getArray(): { get(k: string): unknown; getSource(): unknown }[] };
        getPixelFromCoordinate(c: number[]): number[];
      };
    };
    const herds = bench.map
      .getLayers()
      .getArray()
      .find((l) => l.get('name') === 'herds')!;
    const feature = (
      herds.getSource() as {
        getFeatures(): {
          get(k: string): unknown;
          getGeometry(): { getCoordinates(): number[] };
        }[];
      }
    )
      .getFeatures()
      .find((f) => f.get('code') === code);
    if (feature === undefined) throw new Error(`no herd ${code} on the map`);
    return bench.map.getPixelFromCoordinate(feature.getGeometry().getCoordinates());
  }, herdCode);
  const box = await page.locator('#map').boundingBox();
  if (box === null) throw new Error('the map has no box on the page');
  await page.mouse.click(box.x + pixel[0]!, box.y + pixel[1]! + HERD_OFFSET_PX);
}
