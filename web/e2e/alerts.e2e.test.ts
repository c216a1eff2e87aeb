/**
 * The alerts panel, live animals and details in a real headless Chromium against the running
 * service with the demo portfolio: a reading published over MQTT by a demo gateway that takes an
 * animal out of its farm shows as an alert in the panel within 2 s without a reload;
 * acknowledging it in the panel (from the keyboard) changes it in the API; an officer of another
 * branch sees none of it. Screenshots go to test-artifacts/e2e/.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortfolioFile } from '../../server/demo/portfolio-file.ts';
import { demoPortfolioPath } from '../../server/demo/seed-demo-portfolio.ts';
import {
  buildWebIfStale,
  clickHerdSymbol,
  findChromium,
  HOW_TO_GET_CHROMIUM,
  launchChromium,
  openMapAs,
  saveScreenshot,
  startE2eService,
  type E2eService,
} from './harness.ts';

const chromiumPath = findChromium();
if (chromiumPath === null)
  process.stderr.write(`\nskipping the alerts panel's browser tests: ${HOW_TO_GET_CHROMIUM}\n\n`);

const portfolio = JSON.parse(readFileSync(demoPortfolioPath, 'utf8')) as PortfolioFile;
const KRT_OFFICER = 'lies.vermeulen@pledgewatch.example';
const AAL_OFFICER = 'bram.devos@pledgewatch.example';
const KRT_SUPERVISOR = 'annelies.vanhoutte@pledgewatch.example';
/** A pledged tag of H-KRT-02, on farm F-KRT-02 (gateway GW-KRT-02). */
const TAG = portfolio.earTags.find((t) => t.herdCode === 'H-KRT-02')!.tagCode;
// F-KRT-02's east edge is the meridian 3.0902574 (server/herds/herd-state.int.test.ts): 300 m east.
const OUTSIDE = {
  lat: 50.8347,
  lon: 3.0902574 + 300 / (111_320 * Math.cos((50.8347 * Math.PI) / 180)),
};

interface AlertRow {
  id: string;
  title: string;
  severity: string;
  status: string;
}

function alertsOf(page: Page): Promise<AlertRow[]> {
  return page.evaluate(
    () =>
      (globalThis as { __pledgewatch?: { alerts?: () => AlertRow[] } }).__pledgewatch?.alerts?.() ??
      [],
  );
}

function connectGateway(url: string, code: string, secret: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      username: code,
      password: secret,
      clientId: `${code}-e2e`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
  });
}

describe.skipIf(chromiumPath === null)('the alerts panel in Chromium', () => {
  let service: E2eService;
  let browser: Browser;
  let gateway: MqttClient | null = null;
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    return page;
  }

  const waitForStream = (page: Page) =>
    page.waitForFunction(
      () =>
        (
          globalThis as {
            __pledgewatch?: { alertStream?: () => { connected: boolean } };
          }
        ).__pledgewatch?.alertStream?.().connected === true,
      undefined,
      { timeout: 10_000 },
    );

  beforeAll(async () => {
    buildWebIfStale();
    [service, browser] = await Promise.all([startE2eService(), launchChromium(chromiumPath!)]);
  }, 120_000);

  afterAll(async () => {
    gateway?.end(true);
    for (const context of contexts) await context.close();
    await browser?.close();
    await service?.stop();
  });

  it('shows a walk-out published over MQTT within 2 s, acknowledges it from the keyboard, lets the supervisor assign it, and hides it from another branch', async () => {
    const krt = await newPage();
    const aal = await newPage();
    await Promise.all([
      openMapAs(krt, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!),
      openMapAs(aal, service.url, AAL_OFFICER, service.passwords[AAL_OFFICER]!),
    ]);
    await Promise.all([waitForStream(krt), waitForStream(aal)]);
    const before = (await alertsOf(krt)).filter((a) => a.title.includes(TAG));
    expect(before).toEqual([]);

    gateway = await connectGateway(
      service.service.mqtt.url,
      'GW-KRT-02',
      service.gatewaySecrets['GW-KRT-02']!,
    );
    const publishedMs = Date.now();
    await gateway.publishAsync(
      `farms/F-KRT-02/tags/${TAG}/reading`,
      JSON.stringify({ observedAt: new Date().toISOString(), ...OUTSIDE, batteryPct: 80 }),
      { qos: 1 },
    );
    // In the panel, without a reload: the page keeps its probe (a reload would make a new one).
    await krt.waitForFunction(
      (tag) =>
        (globalThis as { __pledgewatch?: { alerts?: () => { title: string }[] } }).__pledgewatch
          ?.alerts?.()
          .some((a) => a.title.includes(tag)) === true,
      TAG,
      { timeout: 2_000, polling: 50 },
    );
    const shownAfterMs = Date.now() - publishedMs;
    process.stderr.write(`walk-out alert shown ${shownAfterMs} ms after the PUBACK-ed publish\n`);
    expect(shownAfterMs).toBeLessThan(2_000);
    const alert = (await alertsOf(krt)).find((a) => a.title.includes(TAG))!;
    expect(alert).toMatchObject({ severity: 'warning', status: 'open' });
    const button = krt.locator(`button[data-alert-id="${alert.id}"]`);
    await expect(button.textContent()).resolves.toContain('! warning');

    // From the keyboard: focus the item, Enter opens it (evidence, zoom to the tag), then acknowledge.
    await button.focus();
    await krt.keyboard.press('Enter');
    const detail = krt.locator('.alert-detail');
    await detail.locator('.alert-evidence').waitFor({ timeout: 5_000 });
    await expect(detail.locator('.alert-evidence').textContent()).resolves.toContain('distanceM');
    // The map zoomed in on the animal and marks it.
    await krt.waitForFunction(
      () =>
        ((globalThis as { __pledgewatch?: { zoom(): number } }).__pledgewatch?.zoom() ?? 0) > 14,
      undefined,
      { timeout: 5_000 },
    );
    await krt.waitForFunction(
      () =>
        ((
          globalThis as { __pledgewatch?: { animals?: () => number } }
        ).__pledgewatch?.animals?.() ?? 0) >= 1,
      undefined,
      { timeout: 10_000 },
    );
    await krt.waitForTimeout(500);
    await saveScreenshot(krt, 'alerts-walkout');

    await detail
      .locator('textarea[name=comment]')
      .fill('Called the farmer: the cow is being brought back.');
    await detail.locator('button[data-action=acknowledge]').click();
    await krt.waitForFunction(
      (id) =>
        (
          globalThis as { __pledgewatch?: { alerts?: () => { id: string; status: string }[] } }
        ).__pledgewatch
          ?.alerts?.()
          .find((a) => a.id === id)?.status === 'acknowledged',
      alert.id,
      { timeout: 5_000 },
    );
    const inApi = await krt.context().request.get(`${service.url}/api/alerts/${alert.id}`);
    expect(inApi.status()).toBe(200);
    const body = (await inApi.json()) as {
      status: string;
      acknowledgedAt: string | null;
      events: { type: string; comment: string | null; actorEmail: string | null }[];
    };
    expect(body.status).toBe('acknowledged');
    expect(body.acknowledgedAt).not.toBeNull();
    expect(body.events.find((e) => e.type === 'acknowledged')).toMatchObject({
      comment: 'Called the farmer: the cow is being brought back.',
      actorEmail: KRT_OFFICER,
    });
    await saveScreenshot(krt, 'alerts-acknowledged');

    // The branch's supervisor assigns it to the officer from the panel.
    const supervisor = await newPage();
    await openMapAs(supervisor, service.url, KRT_SUPERVISOR, service.passwords[KRT_SUPERVISOR]!);
    await waitForStream(supervisor);
    await supervisor.locator(`button[data-alert-id="${alert.id}"]`).click();
    const supervisorDetail = supervisor.locator('.alert-detail');
    const select = supervisorDetail.locator('select[name=assignee]');
    await select.waitFor({ timeout: 5_000 });
    const officerOption = select.locator('option', { hasText: 'Lies Vermeulen' });
    await select.selectOption(String(await officerOption.getAttribute('value')));
    await supervisorDetail.locator('button[data-action=assign]').click();
    const me = (await (await krt.context().request.get(`${service.url}/api/auth/me`)).json()) as {
      id: string;
    };
    await expect
      .poll(
        async () =>
          (
            (await (
              await krt.context().request.get(`${service.url}/api/alerts/${alert.id}`)
            ).json()) as { assignedTo: string | null }
          ).assignedTo,
        { timeout: 5_000 },
      )
      .toBe(me.id);

    // Aalter's officer: nothing of it in the panel, the API or the stream.
    const aalAlerts = await alertsOf(aal);
    expect(aalAlerts.some((a) => a.id === alert.id || a.title.includes(TAG))).toBe(false);
    const aalRead = await aal.context().request.get(`${service.url}/api/alerts/${alert.id}`);
    expect(aalRead.status()).toBe(404);
    const aalPositions = (await (
      await aal.context().request.get(`${service.url}/api/animal-positions`)
    ).json()) as { items: { tagCode: string }[] };
    expect(aalPositions.items.some((p) => p.tagCode === TAG)).toBe(false);
    await expect(aal.locator('.alert-list').textContent()).resolves.not.toContain(TAG);
    await saveScreenshot(aal, 'alerts-other-branch');
  }, 60_000);

  it('shows a herd’s count against the pledge and its missing tags in the details panel', async () => {
    const page = await newPage();
    await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    await clickHerdSymbol(page, 'H-KRT-02');
    await page.waitForFunction(
      () =>
        (
          globalThis as { __pledgewatch?: { details?: () => string | null } }
        ).__pledgewatch?.details?.() === 'herd:H-KRT-02',
      undefined,
      { timeout: 5_000 },
    );
    const details = page.locator('#details');
    await details.locator('.uplot').waitFor({ timeout: 5_000 });
    await expect(details.textContent()).resolves.toMatch(/Missing tags \(\d+\)/);
    await saveScreenshot(page, 'details-herd');
  }, 60_000);
});
