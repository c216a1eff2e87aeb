/**
 * `pledgewatch classify`: its arguments, and one run as a user runs it (a real process from
 * bin/pledgewatch.js) on the real Flanders 2019 season when ../shared/data is there.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClassifyArgs } from './classify.ts';
import { CliUsageError } from './usage-error.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const season2019 = path.join(projectRoot, '../shared/data/sentinel2/flanders-2019');
const hasData = existsSync(path.join(season2019, 'catalog.json'));
if (!hasData)
  console.warn(`skipping the classify command run: ${season2019} is absent (shared test data)`);
const hasModel = existsSync(path.join(projectRoot, 'fixtures/models/crop-type.onnx'));
if (hasData && !hasModel)
  console.warn('skipping the classify command run: fixtures/models/crop-type.onnx is absent');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runCommand(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/pledgewatch.js', 'classify', ...args], {
      cwd: projectRoot,
      env: Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !name.startsWith('PW_')),
      ),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pw-classify-cli-'));
});
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('parseClassifyArgs', () => {
  const base = ['--stac', 'c.json', '--parcels', 'p.geojson', '--out', 'o.geojson'];

  it('takes the documented options with their defaults', () => {
    const args = parseClassifyArgs([...base, '--from', '2019-01-01', '--to', '2019-06-30']);
    expect(args).toMatchObject({ stac: 'c.json', parcels: 'p.geojson', out: 'o.geojson' });
    expect(args.bufferM).toBe(10);
    expect(args.chunkSize).toBe(500);
    expect(args.model).toMatch(/fixtures\/models\/crop-type\.onnx$/);
    expect(args.from?.toISOString()).toBe('2019-01-01T00:00:00.000Z');
    expect(args.to?.toISOString()).toBe('2019-06-30T23:59:59.999Z');
    expect(args.rasterOut).toBeUndefined();
  });

  it.each([
    [['--parcels', 'p', '--out', 'o'], /--stac is required/],
    [[...base, '--buffer-m=-3'], /--buffer-m "-3" must be a number in \[0, 100\]/],
    [[...base, '--from', 'yesterday'], /--from "yesterday" is not a date/],
    [[...base, '--from', '2019-06-01', '--to', '2019-01-01'], /--from 2019-06-01 is after --to/],
    [[...base, '--raster-out', 'classes.png'], /--raster-out "classes.png" must end with \.tif/],
    [[...base, '--colour', 'red'], /Unknown option '--colour'/],
  ])('rejects %j', (args, message) => {
    expect(() => parseClassifyArgs(args)).toThrow(CliUsageError);
    expect(() => parseClassifyArgs(args)).toThrow(message);
  });
});

describe('pledgewatch classify', () => {
  it('exits 1 with a clear message on bad arguments and on an unreadable parcels file', async () => {
    const bad = await runCommand(['--stac', 'x.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/pledgewatch classify: --parcels is required/);
    const notJson = path.join(dir, 'not.geojson');
    await writeFile(notJson, '{"type":"Feature"');
    const unreadable = await runCommand([
      '--stac',
      'x.json',
      '--parcels',
      notJson,
      '--out',
      path.join(dir, 'o.geojson'),
    ]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain(`pledgewatch classify: --parcels ${notJson}:`);
  }, 60_000);

  it.skipIf(!hasData || !hasModel)(
    'classifies Flanders 2019, keeping each feature and its properties, and writes the raster',
    async () => {
      const out = path.join(dir, 'classified.geojson');
      const raster = path.join(dir, 'classes.tif');
      const run = await runCommand([
        '--stac',
        path.join(season2019, 'catalog.json'),
        '--parcels',
        path.join(season2019, 'labels/parcels.geojson'),
        '--out',
        out,
        '--raster-out',
        raster,
      ]);
      expect(run.stderr).toMatch(/63 scenes, 18 parcels/);
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as { parcels: number; failedItems: number };
      expect(summary).toMatchObject({ parcels: 18, failedItems: 0 });
      const output = JSON.parse(await readFile(out, 'utf8')) as {
        features: { properties: Record<string, unknown> }[];
      };
      expect(output.features).toHaveLength(18);
      for (const { properties } of output.features) {
        expect(properties.parcel_id).toEqual(expect.any(String));
        expect(properties.status).toMatch(/^(verified|mismatch|area_shortfall|cannot_verify)$/);
        expect(properties.status_reason).toEqual(expect.any(String));
        if (properties.label_withheld === true) {
          expect(properties.crop_code).toBeNull();
          expect(properties.predicted_crop_code).toEqual(expect.any(Number));
          expect(properties.predicted_crop_name).toEqual(expect.any(String));
          expect(properties.planted_area_m2).toEqual(expect.any(Number));
          expect(properties.ndvi_series).toEqual(
            expect.arrayContaining([
              {
                date: expect.any(String),
                mean: expect.any(Number),
                clear_pixels: expect.any(Number),
              },
            ]),
          );
        }
      }
      const header = await readFile(raster);
      expect(header.subarray(0, 2).toString()).toBe('II');
    },
    60_000,
  );
});
