/**
 * The live animal layer in a real headless Chromium (its own WebGL drawing, in a worker): the
 * colours and sizes on screen, the points following the view, and no redraw when nothing
 * changed. Points are placed through the layer's own API at known map coordinates; the pixels
 * are read from a screenshot of the page.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildWebIfStale,
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
  process.stderr.write(`\nskipping the animal layer's browser tests: ${HOW_TO_GET_CHROMIUM}\n\n`);

const KRT_OFFICER = 'lies.vermeulen@pledgewatch.example';
const BLUE = [0x00, 0x72, 0xb2];
const VERMILLION = [0xd5, 0x5e, 0x00];
const WHITE = [0xff, 0xff, 0xff];

/** The page's map, as far as these tests drive it (the bench hook of web/main.ts). */
interface Hook {
  map: {
    getLayers(): {
      forEach(f: (l: { get(k: string): unknown; setVisible(v: boolean): void }) => void): void;
    };
    getView(): { getCenter(): number[]; getResolution(): number; setCenter(c: number[]): void };
    getPixelFromCoordinate(c: number[]): number[];
    render(): void;
    renderSync(): void;
  };
  animals: {
    readonly framesDrawn: number;
    showSimulated(points: { count: number; xy: Float64Array; flags: Uint8Array }): void;
    keepOnlyLive(): void;
  };
}

/** Waits until the animal layer has finished a frame after `before` and the map shows it. */
async function nextLayerFrame(page: Page, before: number): Promise<number> {
  await page.waitForFunction(
    (before) =>
      ((globalThis as { __pledgewatch?: { bench?: Hook } }).__pledgewatch?.bench?.animals
        .framesDrawn ?? 0) > before,
    before,
    { timeout: 30_000 },
  );
  await page.waitForTimeout(300); // the map's next frame places it
  return page.evaluate(
    () =>
      (globalThis as unknown as { __pledgewatch: { bench: Hook } }).__pledgewatch.bench.animals
        .framesDrawn,
  );
}

/** The browser's own globals used below (this file is type-checked without the DOM library). */
interface Browser2d {
  createImageBitmap(blob: Blob): Promise<{ readonly width: number; readonly height: number }>;
  OffscreenCanvas: new (
    width: number,
    height: number,
  ) => {
    getContext(kind: '2d'): {
      drawImage(image: unknown, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
    };
  };
  requestAnimationFrame(callback: (now: number) => void): number;
}

/** RGB of the screen pixels under points of the map element, read from a screenshot. */
async function pixelsOf(page: Page, points: readonly (readonly [number, number])[]) {
  const box = (await page.locator('#map').boundingBox())!;
  const png = (await page.screenshot()).toString('base64');
  return page.evaluate(
    async ({ png, points, box }) => {
      const browser = globalThis as unknown as Browser2d;
      const blob = await (await fetch(`data:image/png;base64,${png}`)).blob();
      const image = await browser.createImageBitmap(blob);
      const context = new browser.OffscreenCanvas(image.width, image.height).getContext('2d');
      context.drawImage(image, 0, 0);
      return points.map(([x, y]) => [
        ...context
          .getImageData(Math.floor(box.x + x), Math.floor(box.y + y), 1, 1)
          .data.slice(0, 3),
      ]);
    },
    { png, points, box },
  );
}

const near = (actual: number[], expected: number[]) =>
  actual.every((v, i) => Math.abs(v - expected[i]!) <= 8);

describe.skipIf(chromiumPath === null)('the live animal layer in Chromium', () => {
  let service: E2eService;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    buildWebIfStale();
    [service, browser] = await Promise.all([startE2eService(), launchChromium(chromiumPath!)]);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await service?.stop();
  });

  it('draws animals blue, an alerted tag bigger in vermillion, follows the view, and redraws only on change', async () => {
    const page = await context.newPage();
    page.on('pageerror', (error) => process.stderr.write(`page error: ${error.message}\n`));
    await openMapAs(page, service.url, KRT_OFFICER, service.passwords[KRT_OFFICER]!);

    // Only the animals on the map; two points 60 px apart on the view's centre line.
    const { before, at } = await page.evaluate(() => {
      const { map, animals } = (globalThis as unknown as { __pledgewatch: { bench: Hook } })
        .__pledgewatch.bench;
      map.getLayers().forEach((l) => l.setVisible(l.get('name') === 'animals'));
      const [cx, cy] = map.getView().getCenter() as [number, number];
      const step = 60 * map.getView().getResolution();
      const xy = new Float64Array([cx - step, cy, cx + step, cy]);
      const before = animals.framesDrawn;
      animals.showSimulated({ count: 2, xy, flags: new Uint8Array([0, 1]) });
      return {
        before,
        at: [
          map.getPixelFromCoordinate([cx - step, cy]),
          map.getPixelFromCoordinate([cx + step, cy]),
        ],
      };
    });
    let drawn = await nextLayerFrame(page, before);
    const [plain, alerted] = at as [[number, number], [number, number]];
    const [plainCentre, plainOutside, alertCentre, alertRim, alertOutside] = await pixelsOf(page, [
      plain,
      [plain[0] + 6, plain[1]], // past the plain point's 3.9 px radius
      alerted,
      [alerted[0] + 7, alerted[1]], // the alerted point's white outline (6-8 px)
      [alerted[0] + 11, alerted[1]],
    ]);
    await saveScreenshot(page, 'animal-layer');
    expect(near(plainCentre!, BLUE), `plain animal centre ${plainCentre}`).toBe(true);
    expect(near(plainOutside!, BLUE), `beside the plain animal ${plainOutside}`).toBe(false);
    expect(near(alertCentre!, VERMILLION), `alerted animal centre ${alertCentre}`).toBe(true);
    expect(near(alertRim!, WHITE), `alerted animal outline ${alertRim}`).toBe(true);
    expect(near(alertOutside!, WHITE) || near(alertOutside!, VERMILLION)).toBe(false);

    // Nothing changed: drawing the map again does not draw the animals again.
    await page.evaluate(async () => {
      const { map } = (globalThis as unknown as { __pledgewatch: { bench: Hook } }).__pledgewatch
        .bench;
      for (let i = 0; i < 10; i++) {
        map.render();
        await new Promise((r) => (globalThis as unknown as Browser2d).requestAnimationFrame(r));
      }
    });
    const afterStill = await page.evaluate(
      () =>
        (globalThis as unknown as { __pledgewatch: { bench: Hook } }).__pledgewatch.bench.animals
          .framesDrawn,
    );
    expect(afterStill).toBe(drawn);

    // Panned 100 px to the east: the points move 100 px to the left on screen. At once, before
    // the worker has drawn the new view, the last frame is moved by the view's change.
    const movedAtOnce = await page.evaluate(() => {
      const page = globalThis as unknown as {
        __pledgewatch: { bench: Hook };
        document: { querySelector(s: string): { style: { transform: string } } | null };
      };
      const { map } = page.__pledgewatch.bench;
      const view = map.getView();
      const [cx, cy] = view.getCenter() as [number, number];
      view.setCenter([cx + 100 * view.getResolution(), cy]);
      map.renderSync();
      return page.document.querySelector('.animal-layer canvas')?.style.transform;
    });
    const matrix = /^matrix\((.*)\)$/
      .exec(movedAtOnce ?? '')?.[1]
      ?.split(',')
      .map(Number);
    expect(matrix, `the last frame's transform right after the pan: ${movedAtOnce}`).toHaveLength(
      6,
    );
    matrix!.forEach((v, i) => expect(v).toBeCloseTo([1, 0, 0, 1, -100, 0][i]!, 6));
    drawn = await nextLayerFrame(page, drawn);
    const [movedPlain, movedAlerted, oldPlace] = await pixelsOf(page, [
      [plain[0] - 100, plain[1]],
      [alerted[0] - 100, alerted[1]],
      alerted,
    ]);
    expect(near(movedPlain!, BLUE), `plain animal after the pan ${movedPlain}`).toBe(true);
    expect(near(movedAlerted!, VERMILLION), `alerted animal after the pan ${movedAlerted}`).toBe(
      true,
    );
    expect(near(oldPlace!, VERMILLION), `where the alerted animal was ${oldPlace}`).toBe(false);

    // Gone with the simulated points: the layer shows nothing.
    await page.evaluate(() =>
      (
        globalThis as unknown as { __pledgewatch: { bench: Hook } }
      ).__pledgewatch.bench.animals.keepOnlyLive(),
    );
    await page.waitForTimeout(300);
    const [empty] = await pixelsOf(page, [[alerted[0] - 100, alerted[1]]]);
    expect(near(empty!, VERMILLION), `after the points are gone ${empty}`).toBe(false);
    await page.close();
  }, 90_000);
});
