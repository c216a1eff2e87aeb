/**
 * Suite `map`: the portfolio map in a real headless Chromium (Debian's chromium through
 * playwright-core, as the browser tests drive it) against the service with the demo portfolio.
 *
 * - **Frame rate** with the live animal layer (WebGL points): frames per second of the map drawn
 *   again every animation frame (or panned a little every frame), with 100 000 animals that all
 *   move at 10 Hz (every position changes in place, then one change of the layer), against the
 *   same map with no animals (the baseline) and with 100 000 animals standing still. Frame times
 *   are the intervals between the map's `postrender` events; p50 and p95 are in the notes, with
 *   how often the animal layer itself was drawn again (it draws in a worker, at its own pace).
 * - **Time to first paint** of the portfolio: from navigation start (`performance.timeOrigin`)
 *   to the first `rendercomplete` with the farms, parcels and herds loaded (the map's
 *   `__pledgewatch.readyAtMs`), signed in beforehand (the cookie set through the API).
 *
 * Skips with a message when there is no Chromium (see web/e2e/harness.ts).
 */
import type { Page } from 'playwright-core';
import {
  buildWebIfStale,
  findChromium,
  HOW_TO_GET_CHROMIUM,
  launchChromium,
  startE2eService,
} from '../../web/e2e/harness.ts';
import { formatCount } from './lib/format.ts';
import { median, summarizeGroup, type CaseSamples } from './lib/stats.ts';
import type { BenchOptions, BenchSuite, Sample, SuiteResult } from './lib/types.ts';

interface Sizes {
  readonly animals: number;
  readonly measureMs: number;
  readonly repetitions: number;
  readonly paintRepetitions: number;
}

const fullSizes: Sizes = {
  animals: 100_000,
  measureMs: 8_000,
  repetitions: 3,
  paintRepetitions: 5,
};
const quickSizes: Sizes = {
  animals: 100_000,
  measureMs: 2_500,
  repetitions: 1,
  paintRepetitions: 2,
};
const OFFICER = 'lies.vermeulen@pledgewatch.example';
const VIEWPORT = { width: 1280, height: 800 } as const;

interface FrameRun {
  readonly frames: number;
  readonly elapsedMs: number;
  readonly frameMs: number[];
  /** Frames of the animal layer finished during the measure. */
  readonly layerFrames: number;
}

/** Runs in the page: pans every frame, moves the animals at `stepHz`, records postrender times. */
async function measureFrames(
  page: Page,
  animals: number,
  moving: boolean,
  pan: boolean,
  measureMs: number,
): Promise<FrameRun> {
  return page.evaluate(
    async ({ animals, moving, pan, measureMs }) => {
      interface BenchHook {
        map: {
          on(type: 'postrender', listener: () => void): unknown;
          once(type: 'rendercomplete', listener: () => void): unknown;
          un(type: 'postrender', listener: () => void): void;
          render(): void;
          getView(): {
            getCenter(): number[] | undefined;
            setCenter(c: number[]): void;
            getResolution(): number | undefined;
            setHint(hint: number, delta: number): void;
          };
        };
        animals: { readonly framesDrawn: number };
        simulate(n: number): { step(): void; clear(): void };
      }
      const hook = (globalThis as { __pledgewatch?: { bench?: BenchHook } }).__pledgewatch?.bench;
      if (hook === undefined) throw new Error('the map has no bench hook');
      const { map } = hook;
      // This file is type-checked without the DOM library: the browser's own, typed here.
      const raf = (
        globalThis as unknown as { requestAnimationFrame(cb: (now: number) => void): number }
      ).requestAnimationFrame;
      const sim = animals > 0 ? hook.simulate(animals) : null;
      const view = map.getView();
      const start = view.getCenter() ?? [0, 0];
      const resolution = view.getResolution() ?? 1;
      // Let the map settle and the animal layer finish a frame with the animals before timing.
      const drawnBefore = hook.animals.framesDrawn;
      map.render();
      await new Promise<void>((r) => map.once('rendercomplete', () => r()));
      for (let waited = 0; sim !== null && hook.animals.framesDrawn === drawnBefore; waited += 20) {
        if (waited > 30_000) throw new Error('the animal layer drew no frame in 30 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
      const layerFramesAtStart = hook.animals.framesDrawn;
      const times: number[] = [];
      const onRender = () => times.push(performance.now());
      map.on('postrender', onRender);
      const t0 = performance.now();
      let lastStep = t0;
      let frame = 0;
      // Panning as a person drags the map: the view says it is interacting (ol/ViewHint 1).
      if (pan) view.setHint(1, 1);
      await new Promise<void>((resolve) => {
        const tick = (now: number) => {
          frame += 1;
          // Panning: a small circle around the start. Else the same view drawn again each frame.
          if (pan)
            view.setCenter([
              start[0]! + Math.cos(frame / 30) * 20 * resolution,
              start[1]! + Math.sin(frame / 30) * 20 * resolution,
            ]);
          else map.render();
          if (moving && sim !== null && now - lastStep >= 100) {
            sim.step();
            lastStep = now;
          }
          if (now - t0 < measureMs) raf(tick);
          else resolve();
        };
        raf(tick);
      });
      map.un('postrender', onRender);
      if (pan) view.setHint(1, -1);
      const elapsedMs = performance.now() - t0;
      const layerFrames = hook.animals.framesDrawn - layerFramesAtStart;
      view.setCenter(start);
      sim?.clear();
      const frameMs = times.slice(1).map((t, i) => t - times[i]!);
      return { frames: times.length, elapsedMs, frameMs, layerFrames };
    },
    { animals, moving, pan, measureMs },
  );
}

function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? null;
}

const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

async function run(options: BenchOptions): Promise<SuiteResult> {
  const sizes = options.quick ? quickSizes : fullSizes;
  const chromiumPath = findChromium();
  const title = 'the portfolio map in Chromium: frame rate with live animals, time to first paint';
  if (chromiumPath === null) {
    options.log(`skipping the map suite: ${HOW_TO_GET_CHROMIUM}`);
    return {
      suite: 'map',
      title,
      unit: 'frames/s',
      method: [],
      environment: {},
      parameters: { ...sizes },
      groups: [],
      notes: [],
      skipped: [`the whole suite: ${HOW_TO_GET_CHROMIUM}`],
    };
  }
  buildWebIfStale();
  const [service, browser] = await Promise.all([startE2eService(), launchChromium(chromiumPath)]);
  try {
    const context = await browser.newContext({ viewport: VIEWPORT });
    // tsx (esbuild, keepNames) wraps named functions in `__name(...)`: give the page one.
    await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    const login = await context.request.post(`${service.url}/api/auth/login`, {
      data: { email: OFFICER, password: service.passwords[OFFICER] },
    });
    if (!login.ok()) throw new Error(`signing in for the bench answered ${login.status()}`);

    const openMap = async (): Promise<{ page: Page; firstPaintMs: number }> => {
      const page = await context.newPage();
      await page.goto(`${service.url}/`);
      await page.waitForFunction(
        () => {
          const p = (globalThis as { __pledgewatch?: { ready: boolean; error: string | null } })
            .__pledgewatch;
          if (p?.error != null) throw new Error(p.error);
          return p?.ready === true;
        },
        undefined,
        { timeout: 30_000 },
      );
      const firstPaintMs = await page.evaluate(
        () =>
          (globalThis as { __pledgewatch?: { readyAtMs?: number } }).__pledgewatch?.readyAtMs ??
          NaN,
      );
      return { page, firstPaintMs };
    };

    // Time to first paint: a fresh page each time (the browser's cache warm after the first).
    const paints: number[] = [];
    for (let i = 0; i < sizes.paintRepetitions; i++) {
      options.signal.throwIfAborted();
      const { page, firstPaintMs } = await openMap();
      paints.push(firstPaintMs);
      options.log(`first paint ${i + 1}/${sizes.paintRepetitions}: ${firstPaintMs.toFixed(0)} ms`);
      await page.close();
    }

    const { page } = await openMap();
    const renderer = await page.evaluate(() => {
      interface Gl {
        getExtension(name: string): { UNMASKED_RENDERER_WEBGL: number } | null;
        getParameter(p: number): unknown;
        RENDERER: number;
      }
      const doc = (
        globalThis as unknown as {
          document: { createElement(t: 'canvas'): { getContext(k: 'webgl2'): Gl | null } };
        }
      ).document;
      const gl = doc.createElement('canvas').getContext('webgl2');
      if (gl === null) return 'no WebGL2';
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      return String(gl.getParameter(info === null ? gl.RENDERER : info.UNMASKED_RENDERER_WEBGL));
    });
    const n = formatCount(sizes.animals);
    const cases = [
      { id: 'empty', label: 'no animals (baseline)', animals: 0, moving: false, pan: false },
      {
        id: 'still',
        label: `${n} animals, still`,
        animals: sizes.animals,
        moving: false,
        pan: false,
      },
      {
        id: 'moving',
        label: `${n} animals moving at 10 Hz`,
        animals: sizes.animals,
        moving: true,
        pan: false,
      },
      {
        id: 'moving-small',
        label: `${formatCount(sizes.animals / 10)} animals moving at 10 Hz`,
        animals: sizes.animals / 10,
        moving: true,
        pan: false,
      },
      {
        id: 'panning',
        label: `${n} animals, map dragged`,
        animals: sizes.animals,
        moving: false,
        pan: true,
      },
      {
        id: 'empty-panning',
        label: 'no animals, map dragged',
        animals: 0,
        moving: false,
        pan: true,
      },
    ] as const;
    const samples = new Map<string, Sample[]>(cases.map((c) => [c.id, []]));
    const frameTimes = new Map<string, number[]>(cases.map((c) => [c.id, []]));
    const layerRates = new Map<string, number[]>(cases.map((c) => [c.id, []]));
    for (let repetition = 1; repetition <= sizes.repetitions; repetition++) {
      for (const c of cases) {
        options.signal.throwIfAborted();
        const result = await measureFrames(page, c.animals, c.moving, c.pan, sizes.measureMs);
        const perSecond = (result.frames / result.elapsedMs) * 1000;
        samples.get(c.id)!.push({
          repetition,
          count: result.frames,
          elapsedMs: result.elapsedMs,
          perSecond,
          stoppedByTimeCap: false,
        });
        frameTimes.get(c.id)!.push(...result.frameMs);
        const layerPerSecond = (result.layerFrames / result.elapsedMs) * 1000;
        layerRates.get(c.id)!.push(layerPerSecond);
        options.log(
          `${c.label} #${repetition}: ${perSecond.toFixed(1)} frames/s` +
            (c.animals > 0 ? ` (animal layer drawn ${layerPerSecond.toFixed(1)} times/s)` : ''),
        );
      }
    }
    await page.close();
    await context.close();

    const caseSamples: CaseSamples[] = cases.map((c) => ({
      id: c.id,
      label: c.label,
      samples: samples.get(c.id)!,
    }));
    const group = summarizeGroup('frames per second', 'empty', caseSamples);
    const frameNotes = cases.map((c) => {
      const times = frameTimes.get(c.id)!;
      const layerRate = median(layerRates.get(c.id)!);
      const layer =
        c.animals > 0 && layerRate !== null
          ? `; animal layer drawn ${round1(layerRate)} times/s`
          : '';
      return `${c.label}: frame time p50 ${round1(percentile(times, 50))} ms, p95 ${round1(percentile(times, 95))} ms (${formatCount(times.length)} frames)${layer}`;
    });
    const movingFps = group.cases.find((c) => c.id === 'moving')?.medianPerSecond ?? null;
    const paintMedian = median(paints);
    return {
      suite: 'map',
      title,
      unit: 'frames/s',
      method: [
        `Headless Chromium (${chromiumPath}), viewport ${VIEWPORT.width}×${VIEWPORT.height}, WebGL by ${renderer}; the service in this process with the demo portfolio, signed in as a Kortrijk officer.`,
        `Frames/s = map postrender events / wall time over ${sizes.measureMs / 1000} s, the map drawn again every animation frame; ` +
          `the animals are random points over the view, moved in place at 10 Hz (typed arrays, one change of the layer per step); ` +
          `the animal layer draws them (one gl.POINTS call) in a worker whenever the points or the view changed, and the map shows its latest frame, moved with the view; "drawn N times/s" counts those frames; ` +
          `"dragged": the view pans a 20 px circle each frame with the interacting hint set, as during a drag. ` +
          `Median of ${sizes.repetitions} repetitions, cases round-robin; × baseline = median / median of the empty map.`,
        `Time to first paint = performance.now() at the map's first rendercomplete with the portfolio loaded (navigation start = 0), ${sizes.paintRepetitions} fresh pages.`,
      ],
      environment: {
        browser: chromiumPath,
        webgl: renderer,
        backend: service.service.storageInfo.backend,
      },
      parameters: { ...sizes },
      groups: [group],
      notes: [
        ...frameNotes,
        `time to first paint of the portfolio: median ${round1(paintMedian)} ms (all: ${paints.map((p) => p.toFixed(0)).join(', ')} ms)`,
        movingFps === null
          ? 'no frame rate measured'
          : `target ≥ 30 frames/s with ${formatCount(sizes.animals)} animals moving: ${movingFps >= 30 ? 'met' : 'NOT met'} (${movingFps.toFixed(1)})`,
      ],
      skipped: [],
    };
  } finally {
    await browser.close();
    await service.stop();
  }
}

export const map: BenchSuite = {
  name: 'map',
  title: 'the portfolio map in Chromium: frame rate with live animals, time to first paint',
  needsDatabaseServer: true,
  run,
};
