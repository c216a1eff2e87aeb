/**
 * The loan panel in a real headless Chromium against the running service with the demo
 * portfolio: a Kortrijk officer finds a loan by its borrower's name, opens its collateral, and
 * the coverage ratio and every parcel and herd row say what `GET /api/loans/{id}/collateral`
 * says for the same moment; a row zooms the map to its subject from the keyboard; the report
 * links answer HTML with the loan's reference, a PDF and a CSV; a herd's details link to its
 * loan; and an officer of another branch who follows a link to the loan is told it was not found.
 * Screenshots go to test-artifacts/e2e/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoanCollateral } from '../api.ts';
import { coverageAppearance } from '../details/coverage-level.ts';
import { formatHectares, valueText } from '../details/loan-format.ts';
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
  process.stderr.write(`\nskipping the loan panel's browser tests: ${HOW_TO_GET_CHROMIUM}\n\n`);

const KRT_OFFICER = 'lies.vermeulen@pledgewatch.example';
const AAL_OFFICER = 'bram.devos@pledgewatch.example';
/** Maatschap Deconinck-Vanneste's loan (Kortrijk): five parcels of F-KRT-02 and herd H-KRT-02. */
const LOAN = 'L-2024-0002';
const BORROWER_WORD = 'Deconinck';

interface ShownParcel {
  code: string;
  subjectId: string;
  crop: string;
  area: string;
  status: string;
  value: string;
  valueText: string;
}

interface ShownHerd {
  code: string;
  subjectId: string;
  pledged: string;
  counted: string;
  missing: string;
  value: string;
  valueText: string;
}

/**
 * Reads the moment the loan panel valued, asks the API for the collateral at that moment with the
 * page's session, and checks the panel shows the same coverage, parcels and herds; answers it.
 */
async function expectPanelToShowApi(
  page: Page,
  baseUrl: string,
  id: string,
): Promise<LoanCollateral> {
  const panel = page.locator('#loan');
  const at = await panel.getAttribute('data-at');
  expect(at).not.toBeNull();
  const answer = await page.request.get(
    `${baseUrl}/api/loans/${id}/collateral?at=${encodeURIComponent(at!)}`,
  );
  expect(answer.status()).toBe(200);
  const api = (await answer.json()) as LoanCollateral;
  expect(api.reference).toBe(LOAN);

  const badge = panel.locator('.coverage-badge');
  await expect(badge.getAttribute('data-ratio')).resolves.toBe(String(api.coverageRatio));
  const look = coverageAppearance(api.coverageRatio);
  await expect(badge.getAttribute('data-level')).resolves.toBe(look.level);
  await expect(badge.textContent()).resolves.toBe(look.text);
  await expect(panel.locator('.loan-facts').textContent()).resolves.toContain(api.borrowerName);
  await expect(panel.locator('[data-balance]').getAttribute('data-balance')).resolves.toBe(
    String(api.balance),
  );
  process.stderr.write(`${LOAN} at ${api.at}: coverage shown as “${look.text}”\n`);

  const parcels = await panel.locator('tr[data-subject-type=parcel]').evaluateAll((rows) =>
    rows.map((row) => {
      const r = row as unknown as {
        dataset: Record<string, string>;
        querySelectorAll(s: string): ArrayLike<{ textContent: string | null }>;
        querySelector(s: string): {
          dataset: Record<string, string>;
          firstChild: { textContent: string | null } | null;
        } | null;
      };
      const cells = Array.from(r.querySelectorAll('td')).map((c) => c.textContent ?? '');
      const value = r.querySelector('td[data-cell=value]');
      const status = r.querySelector('td[data-cell=status]');
      return {
        code: r.dataset['code']!,
        subjectId: r.dataset['subjectId']!,
        crop: cells[0]!,
        area: cells[1]!,
        status: status?.dataset['status'] ?? '',
        value: value?.dataset['value'] ?? '',
        valueText: value?.firstChild?.textContent ?? '',
      };
    }),
  );
  expect(parcels).toEqual(
    api.parcels.map((p): ShownParcel => ({
      code: p.code,
      subjectId: p.parcelId,
      crop: expect.stringContaining(`${p.declaredCropName ?? '—'} / `) as unknown as string,
      area: `${formatHectares(p.declaredAreaM2)} / ${formatHectares(
        p.latestObservation?.plantedAreaM2 ?? null,
      )}`,
      status: p.status ?? 'none',
      value: p.value === null ? 'none' : String(p.value),
      valueText: valueText(p.value, p.unvaluedReason, api.currency),
    })),
  );
  const herds = await panel.locator('tr[data-subject-type=herd]').evaluateAll((rows) =>
    rows.map((row) => {
      const r = row as unknown as {
        dataset: Record<string, string>;
        querySelector(s: string): {
          dataset: Record<string, string>;
          textContent: string | null;
          firstChild: { textContent: string | null } | null;
        } | null;
      };
      const head = r.querySelector('td[data-cell=head]');
      const value = r.querySelector('td[data-cell=value]');
      return {
        code: r.dataset['code']!,
        subjectId: r.dataset['subjectId']!,
        pledged: head?.dataset['pledged'] ?? '',
        counted: head?.dataset['counted'] ?? '',
        missing: r.querySelector('td[data-cell=missing-tags]')?.textContent ?? '',
        value: value?.dataset['value'] ?? '',
        valueText: value?.firstChild?.textContent ?? '',
      };
    }),
  );
  expect(herds).toEqual(
    api.herds.map((h): ShownHerd => ({
      code: h.code,
      subjectId: h.herdId,
      pledged: String(h.pledgedHeadCount),
      counted: String(h.countedHeadCount),
      missing: String(h.missingTags.length),
      value: h.value === null ? 'none' : String(h.value),
      valueText: valueText(h.value, h.unvaluedReason, api.currency),
    })),
  );
  return api;
}

describe.skipIf(chromiumPath === null)('the loan panel in Chromium', () => {
  let service: E2eService;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function newPage(height = 900): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    return page;
  }

  /** The loan's id, as the officer's session reads it from the loans list. */
  async function loanId(page: Page, reference: string): Promise<string> {
    const answer = await page.request.get(`${service.url}/api/loans?q=${reference}`);
    expect(answer.status()).toBe(200);
    const { items } = (await answer.json()) as { items: { id: string; reference: string }[] };
    const loan = items.find((l) => l.reference === reference);
    if (loan === undefined) throw new Error(`the officer's loans list has no ${reference}`);
    return loan.id;
  }

  // The page's own globals, typed here (this file is compiled without the DOM library).
  const locationHash = (page: Page): Promise<string> =>
    page.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash);
  const focused = (page: Page): Promise<{ id: string; text: string }> =>
    page.evaluate(() => {
      const active = (
        globalThis as unknown as {
          document: { activeElement: { id: string; textContent: string | null } | null };
        }
      ).document.activeElement;
      return { id: active?.id ?? '', text: active?.textContent ?? '' };
    });

  const zoomOf = (page: Page): Promise<number> =>
    page.evaluate(
      () => (globalThis as { __pledgewatch?: { zoom(): number } }).__pledgewatch?.zoom() ?? 0,
    );

  /** Whether the map's view shows the centre of a feature of a layer (by feature id). */
  const isInView = (page: Page, layerName: string, featureId: string): Promise<boolean> =>
    page.evaluate(
      ([name, id]) => {
        interface OlLike {
          getLayers(): { getArray(): { get(k: string): unknown; getSource(): unknown }[] };
          getView(): { calculateExtent(size: unknown): number[] };
          getSize(): unknown;
        }
        const bench = (globalThis as { __pledgewatch?: { bench?: unknown } }).__pledgewatch
          ?.bench as { map: OlLike };
        const layer = bench.map
          .getLayers()
          .getArray()
          .find((l) => l.get('name') === name);
        const source = layer?.getSource() as {
          getFeatureById(id: string): { getGeometry(): { getExtent(): number[] } } | null;
        };
        const extent = source.getFeatureById(id!)?.getGeometry().getExtent();
        if (extent === undefined) return false;
        const x = (extent[0]! + extent[2]!) / 2;
        const y = (extent[1]! + extent[3]!) / 2;
        const [minX, minY, maxX, maxY] = bench.map
          .getView()
          .calculateExtent(bench.map.getSize()) as [number, number, number, number];
        return x >= minX && x <= maxX && y >= minY && y <= maxY;
      },
      [layerName, featureId] as const,
    );

  /** Features on the map's selection layer (the ring on the chosen subject). */
  const markedSubjects = (page: Page): Promise<number> =>
    page.evaluate(() => {
      const bench = (globalThis as { __pledgewatch?: { bench?: unknown } }).__pledgewatch
        ?.bench as {
        map: {
          getLayers(): {
            getArray(): { get(k: string): unknown; getSource(): { getFeatures(): unknown[] } }[];
          };
        };
      };
      const layer = bench.map
        .getLayers()
        .getArray()
        .find((l) => l.get('name') === 'alert-subject');
      return layer?.getSource().getFeatures().length ?? -1;
    });

  beforeAll(async () => {
    buildWebIfStale();
    [service, browser] = await Promise.all([startE2eService(), launchChromium(chromiumPath!)]);
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await service?.stop();
  });

  it('finds a loan by its borrower, shows what the API says of its collateral, zooms to a row and links the report', async () => {
    // Tall enough for the whole panel in the screenshot.
    const page = await newPage(1500);
    await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    const id = await loanId(page, LOAN);

    // Search by the borrower's name: the borrower's loan is a hit of its own.
    await page.locator('#search-text').fill(BORROWER_WORD);
    await page.locator('#search-text').press('Enter');
    const hit = page.locator('#search-results button[data-kind=loan]', { hasText: LOAN });
    await hit.waitFor({ timeout: 10_000 });
    await expect(hit.textContent()).resolves.toContain('Maatschap Deconinck-Vanneste');
    await hit.focus();
    await page.keyboard.press('Enter');

    const panel = page.locator('#loan');
    await page.locator(`#loan[data-loan-reference="${LOAN}"]`).waitFor({ timeout: 15_000 });
    expect(await locationHash(page)).toBe(`#loan=${id}`);
    // The focus moved into the panel, to its heading.
    expect((await focused(page)).id).toBe('loan-heading');

    // What the panel shows now is what the API says of the same moment.
    const now = await expectPanelToShowApi(page, service.url, id);
    expect(now.herds.map((h) => h.code)).toEqual(['H-KRT-02']);

    // Valued at a day of the crops' season (a crop is collateral until its season ends; the
    // demo's seasons may be over): the parcels' rows, again as the API says.
    const { features } = (await (
      await page.request.get(`${service.url}/api/parcels?loanId=${id}`)
    ).json()) as { features: { properties: { seasonEnd: string | null } }[] };
    const seasonEnd = features
      .map((f) => f.properties.seasonEnd)
      .filter((end): end is string => end !== null)
      .sort()[0];
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const valuedDay = seasonEnd !== undefined && seasonEnd < yesterday ? seasonEnd : yesterday;
    const atBefore = await panel.getAttribute('data-at');
    await panel.locator('input[name=valued-at]').fill(valuedDay);
    await page.waitForFunction(
      (before) => {
        const at = (
          globalThis as unknown as {
            document: { querySelector(s: string): { dataset: Record<string, string> } | null };
          }
        ).document.querySelector('#loan')?.dataset['at'];
        return at !== undefined && at !== before;
      },
      atBefore,
      { timeout: 15_000 },
    );
    await expect(panel.locator('.loan-facts').textContent()).resolves.toContain(
      `coverage on ${valuedDay}`,
    );
    const inSeason = await expectPanelToShowApi(page, service.url, id);
    expect(inSeason.parcels.length).toBeGreaterThan(0);

    // The coverage over the last 90 days, drawn.
    await panel.locator('.coverage-chart .uplot').waitFor({ timeout: 10_000 });
    await panel.locator('.value-chart .uplot').waitFor({ timeout: 10_000 });

    // A row from the keyboard: Tab reaches its button, Enter zooms the map to the parcel and
    // marks it. The map is first turned away, so the zoom is the row's doing.
    const parcel = inSeason.parcels[0]!;
    await page.evaluate(() => {
      const bench = (globalThis as { __pledgewatch?: { bench?: unknown } }).__pledgewatch
        ?.bench as {
        map: { getView(): { setCenter(c: number[]): void; setZoom(z: number): void } };
      };
      bench.map.getView().setCenter([-7_000_000, -3_000_000]);
      bench.map.getView().setZoom(6);
    });
    expect(await isInView(page, 'parcels', parcel.parcelId)).toBe(false);
    await panel.locator(`tr[data-code="${parcel.code}"] button.loan-subject`).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => zoomOf(page), { timeout: 5_000 }).toBeGreaterThan(12);
    await expect.poll(() => isInView(page, 'parcels', parcel.parcelId)).toBe(true);
    expect(await markedSubjects(page)).toBe(1);
    await page.waitForTimeout(600); // the zoom's frames
    await page.locator('#loan-heading').scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'loan-panel');

    // The report links: HTML (a new tab) with the loan's reference, a PDF and a CSV (downloads).
    const html = panel.locator('.loan-report a[data-format=html]');
    await expect(html.getAttribute('target')).resolves.toBe('_blank');
    const htmlHref = await html.getAttribute('href');
    expect(htmlHref).toMatch(new RegExp(`^/api/loans/${id}/report\\?from=.+&to=.+&format=html$`));
    const htmlAnswer = await page.request.get(`${service.url}${htmlHref!}`);
    expect(htmlAnswer.status()).toBe(200);
    expect(htmlAnswer.headers()['content-type']).toMatch(/^text\/html/);
    expect(await htmlAnswer.text()).toContain(LOAN);

    const pdfHref = await panel.locator('.loan-report a[data-format=pdf]').getAttribute('href');
    const pdfAnswer = await page.request.get(`${service.url}${pdfHref!}`, { timeout: 60_000 });
    expect(pdfAnswer.status()).toBe(200);
    expect(pdfAnswer.headers()['content-type']).toMatch(/^application\/pdf/);
    expect((await pdfAnswer.body()).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    // Clicking the CSV link downloads the file, with the session cookie.
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      panel.locator('.loan-report a[data-format=csv]').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    expect(await download.failure()).toBeNull();

    // A period that ends before it starts: said next to the inputs, and no link to follow.
    await panel.locator('.loan-report input[name=from]').fill('2026-03-02');
    await panel.locator('.loan-report input[name=to]').fill('2026-03-01');
    await expect(panel.locator('.loan-report-problem').textContent()).resolves.toBe(
      'from 2026-03-02 is after to 2026-03-01: the period must start before it ends',
    );
    await expect(
      panel.locator('.loan-report a[href]').count(),
      'no report link while the period is wrong',
    ).resolves.toBe(0);
    await panel.locator('.loan-report input[name=to]').fill('2026-03-31');
    await expect(panel.locator('.loan-report a[href]').count()).resolves.toBe(3);
    const fixed = new URL(`${service.url}${(await html.getAttribute('href'))!}`).searchParams;
    expect(new Date(fixed.get('to')!).getTime() - new Date(fixed.get('from')!).getTime()).toBe(
      new Date(2026, 3, 1).getTime() - new Date(2026, 2, 2).getTime(),
    );

    // Escape closes the panel, takes the loan out of the address, and gives the focus back.
    await panel.locator('.loan-report input[name=from]').focus();
    await page.keyboard.press('Escape');
    await expect(panel.isHidden()).resolves.toBe(true);
    expect(await locationHash(page)).toBe('');
    expect((await focused(page)).text).toContain(LOAN);
  }, 120_000);

  it('opens the loan from its herd’s details', async () => {
    const page = await newPage();
    await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    await clickHerdSymbol(page, 'H-KRT-02');
    const link = page.locator('#details a.details-loan');
    await link.waitFor({ timeout: 10_000 });
    await expect(link.textContent()).resolves.toBe(`Loan ${LOAN}: collateral and report`);
    await link.click();
    await page.locator(`#loan[data-loan-reference="${LOAN}"]`).waitFor({ timeout: 15_000 });
    await expect(page.locator('#loan tr[data-code="H-KRT-02"]').count()).resolves.toBe(1);
  }, 60_000);

  it('tells an officer of another branch that the loan was not found', async () => {
    const krt = await newPage();
    await openMapAs(krt, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);
    const id = await loanId(krt, LOAN);

    const aal = await newPage();
    await openMapAs(aal, service.url, AAL_OFFICER, service.passwords[AAL_OFFICER]!);
    const refused = await aal.request.get(`${service.url}/api/loans/${id}/collateral`);
    expect(refused.status()).toBe(404);
    // A link to the loan shared from Kortrijk.
    await aal.evaluate((loanId) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = `#loan=${loanId}`;
    }, id);
    const message = aal.locator('#loan .loan-not-found');
    await message.waitFor({ timeout: 10_000 });
    await expect(message.textContent()).resolves.toContain('This loan was not found');
    await expect(aal.locator('#loan').textContent()).resolves.not.toContain(LOAN);
    await expect(aal.locator('#loan .loan-report').count()).resolves.toBe(0);
    const report = await aal.request.get(`${service.url}/api/loans/${id}/report?format=html`);
    expect(report.status()).toBe(404);
    await saveScreenshot(aal, 'loan-not-found');
  }, 60_000);
});
