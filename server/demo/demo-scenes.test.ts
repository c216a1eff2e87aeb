import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStac } from '../../ingest/index.ts';
import { ensureDemoScenes } from './demo-scenes.ts';

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'pw-demo-scenes-'));
  folders.push(folder);
  return folder;
}

/** sha256 of every file below `root`, by relative path. */
async function digest(root: string): Promise<Record<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const out: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(root, file)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
  }
  return out;
}

describe('demo scenes', () => {
  it('are a STAC catalog over every demo farm, written once, the same bytes every time', async () => {
    const first = await tempDir();
    const made = await ensureDemoScenes({ dataDir: first });
    expect(made.generated).toBe(true);
    expect(made.items).toBe(4 * 26);

    const { items, failures } = await loadStac(made.catalogPath);
    expect(failures).toEqual([]);
    expect(items).toHaveLength(4 * 26);
    for (const farm of ['F-KRT-01', 'F-KRT-02', 'F-AAL-01', 'F-AAL-02']) {
      expect(items.filter((item) => item.id.includes(farm)).length, farm).toBe(26);
    }
    expect(items.every((item) => item.epsg === 32631)).toBe(true);

    const before = (await stat(made.catalogPath)).mtimeMs;
    const again = await ensureDemoScenes({ dataDir: first });
    expect(again.generated).toBe(false);
    expect((await stat(made.catalogPath)).mtimeMs).toBe(before);

    const second = await tempDir();
    await ensureDemoScenes({ dataDir: second });
    expect(await digest(path.join(second, 'demo-scenes'))).toEqual(
      await digest(path.join(first, 'demo-scenes')),
    );
  }, 60_000);
});
