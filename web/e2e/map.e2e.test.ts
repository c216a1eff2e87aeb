/**
 * The portfolio map in a real headless Chromium against the running service with the demo
 * portfolio: what an officer sees, what another branch's officer does not, the search, the layer
 * switcher, and that the page asks nothing of any host but the service. Screenshots go to
 * test-artifacts/e2e/.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PortfolioFile } from '../../server/demo/portfolio-file.ts';
import { demoPortfolioPath } from '../../server/demo/seed-demo-portfolio.ts';
import {
  buildWebIfStale,
  findChromium,
  HOW_TO_GET_CHROMIUM,
  launchChromium,
  openMapAs,
  readProbe,
  saveScreenshot,
  startE2eService,
  type E2eService,
} from './harness.ts';

const chromiumPath = findChromium();
if (chromiumPath === null)
  process.stderr.write(`\nskipping the map's browser tests: ${HOW_TO_GET_CHROMIUM}\n\n`);

const portfolio = JSON.parse(readFileSync(demoPortfolioPath, 'utf8')) as PortfolioFile;
const KRT_OFFICER = 'lies.vermeulen@pledgewatch.example';
const AAL_OFFICER = 'bram.devos@pledgewatch.example';

/** What the demo portfolio holds for one branch, from the fixture the seed loads. */
function demoBranch(branchCode: string) {
  const borrowers = new Set(
    portfolio.borrowers.filter((b) => b.branchCode === branchCode).map((b) => b.ref),
  );
  const farms = portfolio.farms.filter((f) => borrowers.has(f.borrowerRef)).map((f) => f.code);
  const farmSet = new Set(farms);
  return {
    farms: [...farms].sort(),
    parcels: portfolio.parcels
      .filter((p) => farmSet.has(p.farmCode))
      .map((p) => p.code)
      .sort(),
    herds: portfolio.herds
      .filter((h) => farmSet.has(h.farmCode))
      .map((h) => h.code)
      .sort(),
  };
}

/** Every URL the page requests; data: and blob: URLs never leave the browser. */
function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  return urls;
}

function outsideHosts(urls: readonly string[], allowedOrigin: string): string[] {
  return urls.filter((url) => {
    if (url.startsWith('data:') || url.startsWith('blob:')) return false;
    const parsed = new URL(url);
    return parsed.hostname !== '127.0.0.1' || parsed.origin !== allowedOrigin;
  });
}

describe.skipIf(chromiumPath === null)('the portfolio map in Chromium', () => {
  let service: E2eService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    return page;
  }

  beforeAll(async () => {
    buildWebIfStale();
    [service, browser] = await Promise.all([startE2eService(), launchChromium(chromiumPath!)]);
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await service?.stop();
  });

  it("shows a Kortrijk officer the branch's demo farms, parcels and herds, with nothing from outside", async () => {
    const page = await newPage();
    const requests = recordRequests(page);
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400)
        failed.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
    const expected = demoBranch('KRT');
    const startedMs = Date.now();
    const probe = await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    const loadMs = Date.now() - startedMs;

    expect(probe.codes).toEqual({
      farms: expected.farms,
      parcels: expected.parcels,
      herds: expected.herds,
    });
    // Drawn, not only loaded: each feature is hit-detected at its own place on the rendered map.
    expect(probe.rendered).toEqual({
      farms: expected.farms.length,
      parcels: expected.parcels.length,
      herds: expected.herds.length,
    });
    // No satellite check has reported yet: every parcel says so.
    // Every parcel has one status (the satellite job may have classified some already).
    const counted = Object.values(probe.parcelStatuses).reduce((sum, n) => sum + n, 0);
    expect(counted).toBe(expected.parcels.length);
    const pledged = portfolio.herds.find((h) => h.code === 'H-KRT-02')?.pledgedHeadCount;
    expect(probe.herds).toEqual([
      { code: 'H-KRT-02', headCount: expect.any(Number), pledgedHeadCount: pledged },
    ]);
    expect(probe.basemap).toBeNull();

    // The legend names every status in words; the layer switcher and scale line are there.
    const legend = page.locator('.legend');
    for (const text of [
      'crop mismatch',
      'area short',
      'cannot verify',
      'verified',
      'no observation yet',
    ])
      await expect(legend.getByText(text, { exact: false }).count()).resolves.toBeGreaterThan(0);
    // Farms, parcels, herds, live animals, and the satellite's crop and NDVI tiles.
    await expect(
      page
        .locator('.layer-switcher input[type=checkbox]')
        .evaluateAll((boxes) =>
          boxes
            .map((b) => (b as unknown as { dataset: Record<string, string> }).dataset['layer'])
            .sort(),
        ),
    ).resolves.toEqual(['animals', 'crop-tiles', 'farms', 'herds', 'ndvi-tiles', 'parcels']);
    await expect(page.locator('.ol-scale-line').count()).resolves.toBe(1);
    await expect(page.locator('#status').textContent()).resolves.toContain(
      `${expected.farms.length} farms`,
    );

    const file = await saveScreenshot(page, 'map-krt-officer');
    process.stdout.write(`map loaded in ${loadMs} ms; screenshot ${file}\n`);

    expect(outsideHosts(requests, service.url)).toEqual([]);
    expect(requests.some((url) => url.includes('/api/herds/'))).toBe(true);
    // Every request the map made after signing in was answered.
    expect(failed.filter((line) => !line.startsWith('401 /api/auth/me'))).toEqual([]);
  });

  it('tells only signed-in callers the map configuration', async () => {
    const response = await fetch(`${service.url}/api/map-config`);
    expect(response.status).toBe(401);
  });

  it("shows an Aalst officer none of Kortrijk's farms, parcels or herds", async () => {
    const page = await newPage();
    const requests = recordRequests(page);
    const probe = await openMapAs(page, service.url, AAL_OFFICER, service.passwords[AAL_OFFICER]!);
    const aalst = demoBranch('AAL');
    const kortrijk = demoBranch('KRT');

    expect(probe.codes).toEqual({ farms: aalst.farms, parcels: aalst.parcels, herds: aalst.herds });
    for (const layer of ['farms', 'parcels', 'herds'] as const) {
      expect(probe.codes[layer]?.filter((code) => kortrijk[layer].includes(code))).toEqual([]);
    }
    await expect(page.locator('#farms').textContent()).resolves.not.toMatch(/F-KRT/);
    await saveScreenshot(page, 'map-aal-officer');
    expect(outsideHosts(requests, service.url)).toEqual([]);
  });

  it('finds a farm, a borrower and a loan, and zooms to the one chosen', async () => {
    const page = await newPage();
    await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    const zoomBefore = await page.evaluate(() =>
      (globalThis as { __pledgewatch?: { zoom(): number | undefined } }).__pledgewatch?.zoom(),
    );

    await page.locator('#search-text').fill('Ter Biest');
    await page.locator('#search-text').press('Enter');
    const farmHit = page.locator('#search-results button[data-kind=farm]');
    await farmHit.first().waitFor({ timeout: 5_000 });
    await expect(farmHit.first().textContent()).resolves.toContain('F-KRT-02');
    await farmHit.first().click();
    await page.waitForFunction(
      (before) =>
        ((globalThis as { __pledgewatch?: { zoom(): number | undefined } }).__pledgewatch?.zoom() ??
          0) > (before ?? 0),
      zoomBefore,
      { timeout: 5_000 },
    );
    await page.waitForTimeout(500); // the zoom's frames
    await saveScreenshot(page, 'map-farm-detail');

    await page.locator('#search-text').fill('L-2024');
    await page.locator('#search-text').press('Enter');
    await page
      .locator('#search-results button[data-kind=loan]')
      .first()
      .waitFor({ timeout: 5_000 });

    await page.locator('#search-text').fill('B-001');
    await page.locator('#search-text').press('Enter');
    await page
      .locator('#search-results button[data-kind=borrower]')
      .first()
      .waitFor({ timeout: 5_000 });

    // Another branch's loan is not found.
    await page.locator('#search-text').fill('L-2018-0003');
    await page.locator('#search-text').press('Enter');
    await page.locator('#search-results .search-message').waitFor({ timeout: 5_000 });
  });

  it("follows a herd's head count as its tags report from the farm", async () => {
    const page = await newPage();
    const before = await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    const countBefore = before.herds.find((h) => h.code === 'H-KRT-02')?.headCount;
    expect(countBefore).toEqual(expect.any(Number));

    // Three of the herd's tags report from the middle of the farm, through the farm's gateway.
    const farm = portfolio.farms.find((f) => f.code === 'F-KRT-02')!;
    const ring = (farm.boundary as { coordinates: number[][][] }).coordinates[0]!;
    const lngs = ring.map((c) => c[0]!);
    const lats = ring.map((c) => c[1]!);
    const lng = (Math.min(...lngs) + Math.max(...lngs)) / 2;
    const lat = (Math.min(...lats) + Math.max(...lats)) / 2;
    const tags = portfolio.earTags.filter((t) => t.herdCode === 'H-KRT-02').slice(0, 3);
    const observedAt = new Date().toISOString();
    const response = await fetch(`${service.url}/api/ingest/tag-readings`, {
      method: 'POST',
      headers: {
        authorization:
          'Basic ' +
          Buffer.from(`GW-KRT-02:${service.gatewaySecrets['GW-KRT-02']}`).toString('base64'),
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        readings: tags.map((t) => ({ tagId: t.tagCode, observedAt, lat, lon: lng })),
      }),
    });
    expect(response.status).toBe(200);

    await page.evaluate(() =>
      (
        globalThis as { __pledgewatch?: { refreshHerds(): Promise<void> } }
      ).__pledgewatch?.refreshHerds(),
    );
    const after = await readProbe(page);
    expect(after.herds.find((h) => h.code === 'H-KRT-02')?.headCount).toBe(countBefore! + 3);
  });

  it('hides and shows a layer from the layer switcher', async () => {
    const page = await newPage();
    await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    await page.locator('.layer-switcher input[data-layer=parcels]').uncheck();
    await page.waitForTimeout(300); // one render
    const hidden = await readProbe(page);
    expect(hidden.rendered['parcels']).toBe(0);
    expect(hidden.rendered['farms']).toBe(demoBranch('KRT').farms.length);
    await page.locator('.layer-switcher input[data-layer=parcels]').check();
    await page.waitForTimeout(300);
    expect((await readProbe(page)).rendered['parcels']).toBe(demoBranch('KRT').parcels.length);
  });
});

/** A WMTS capabilities document with one layer on the GoogleMapsCompatible set (levels 0-19). */
function wmtsCapabilities(tileUrlTemplate: string): string {
  const matrices = Array.from({ length: 20 }, (_, z) => {
    const size = 2 ** z;
    return `<TileMatrix><ows:Identifier>${z}</ows:Identifier>
      <ScaleDenominator>${559082264.0287178 / size}</ScaleDenominator>
      <TopLeftCorner>-20037508.3427892 20037508.3427892</TopLeftCorner>
      <TileWidth>256</TileWidth><TileHeight>256</TileHeight>
      <MatrixWidth>${size}</MatrixWidth><MatrixHeight>${size}</MatrixHeight></TileMatrix>`;
  }).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1"
  xmlns:xlink="http://www.w3.org/1999/xlink" version="1.0.0">
  <ows:ServiceIdentification><ows:Title>test</ows:Title></ows:ServiceIdentification>
  <Contents>
    <Layer>
      <ows:Title>Test layer</ows:Title>
      <ows:WGS84BoundingBox><ows:LowerCorner>-180 -85</ows:LowerCorner><ows:UpperCorner>180 85</ows:UpperCorner></ows:WGS84BoundingBox>
      <ows:Identifier>test_layer</ows:Identifier>
      <Style isDefault="true"><ows:Identifier>default</ows:Identifier></Style>
      <Format>image/png</Format>
      <TileMatrixSetLink><TileMatrixSet>GoogleMapsCompatible</TileMatrixSet></TileMatrixSetLink>
      <ResourceURL format="image/png" resourceType="tile" template="${tileUrlTemplate}"/>
    </Layer>
    <TileMatrixSet>
      <ows:Identifier>GoogleMapsCompatible</ows:Identifier>
      <ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>
      ${matrices}
    </TileMatrixSet>
  </Contents>
</Capabilities>`;
}

const basemapCases = [
  {
    type: 'xyz',
    env: (origin: string) => ({
      PW_MAP_BASEMAP_URL: `${origin}/tiles/{z}/{x}/{y}.png`,
      PW_MAP_BASEMAP_ATTRIBUTION: 'Test tiles',
    }),
  },
  {
    type: 'wmts',
    env: (origin: string) => ({
      PW_MAP_BASEMAP_URL: `${origin}/wmts/WMTSCapabilities.xml`,
      PW_MAP_BASEMAP_TYPE: 'wmts',
      PW_MAP_BASEMAP_LAYER: 'test_layer',
      PW_MAP_BASEMAP_ATTRIBUTION: 'Test tiles',
    }),
  },
] as const;

describe.skipIf(chromiumPath === null).each(basemapCases)(
  'the map with a configured $type basemap',
  ({ type, env }) => {
    let service: E2eService;
    let browser: Browser;
    let tiles: Server;
    const tileRequests: string[] = [];

    beforeAll(async () => {
      buildWebIfStale();
      // A tile server on 127.0.0.1: a 1×1 PNG for every tile, and a WMTS capabilities document.
      const png = Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
        'base64',
      );
      let origin = '';
      tiles = createServer((request, response) => {
        const url = request.url ?? '';
        if (url === '/wmts/WMTSCapabilities.xml') {
          response.writeHead(200, {
            'content-type': 'application/xml',
            'access-control-allow-origin': '*',
          });
          response.end(wmtsCapabilities(`${origin}/tiles/{TileMatrix}/{TileCol}/{TileRow}.png`));
          return;
        }
        tileRequests.push(url);
        response.writeHead(200, {
          'content-type': 'image/png',
          'access-control-allow-origin': '*',
        });
        response.end(png);
      });
      await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}`;
      [service, browser] = await Promise.all([
        startE2eService(env(origin)),
        launchChromium(chromiumPath!),
      ]);
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await service?.stop();
      await new Promise<void>((resolve) => (tiles ? tiles.close(() => resolve()) : resolve()));
    });

    it('draws the basemap from the configured URL under the farms', async () => {
      const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
      const page = await context.newPage();
      const probe = await openMapAs(
        page,
        service.url,
        KRT_OFFICER,
        service.passwords[KRT_OFFICER]!,
      );
      expect(probe.basemap).toBe(type);
      expect(probe.rendered['farms']).toBe(demoBranch('KRT').farms.length);
      expect(
        tileRequests.filter((url) => /^\/tiles\/\d+\/\d+\/\d+\.png$/.test(url)).length,
      ).toBeGreaterThan(0);
      await expect(page.locator('.layer-switcher input[data-layer=basemap]').count()).resolves.toBe(
        1,
      );
      await expect(page.locator('.ol-attribution').textContent()).resolves.toContain('Test tiles');
      await context.close();
    });
  },
);
