import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ItemFailure, SceneItem } from '../types.ts';
import { parseSceneItem } from './parse-item.ts';

/** Options for {@link loadStac}. */
export interface LoadStacOptions {
  /** Keep items with `datetime >= from`. */
  from?: Date;
  /** Keep items with `datetime <= to`. */
  to?: Date;
  signal?: AbortSignal;
  /** Follow at most this many levels of child links (default 8). */
  maxDepth?: number;
  /** Documents read at the same time (default 8). */
  concurrency?: number;
}

/** What {@link loadStac} found: the items (ascending by datetime) and what it could not use. */
export interface LoadStacResult {
  items: SceneItem[];
  failures: ItemFailure[];
}

/**
 * Loads Sentinel-2 L2A scenes from STAC: an Item, an ItemCollection, a Collection (its `item` and
 * `child` links), a static Catalog (its `child` and `item` links, recursively), or a local folder
 * of item JSON files (every `*.json` below it whose `type` is `Feature`). Sources are local paths,
 * `file:` URLs or `http(s):` URLs (fetched with `fetch`); relative hrefs are resolved against the
 * URL of the document that holds them (STAC best practice for static catalogs).
 *
 * A document that cannot be read or parsed, or an item that is not a usable scene, becomes an
 * {@link ItemFailure} with its id (or URL) and the reason, and loading goes on. An item id seen
 * twice is kept once (`duplicate_item`). Items outside `[from, to]` are left out silently.
 *
 * @param source - Path or URL of the STAC document or folder.
 * @param options - `from`, `to` (inclusive), `signal`, `maxDepth`, `concurrency`.
 * @returns Items sorted by datetime (then id), and failures.
 * @throws Only when `signal` aborts (its reason).
 * @example
 * ```ts
 * const { items, failures } = await loadStac('../shared/data/sentinel2/flanders-2018/catalog.json');
 * items.length; // 108
 * ```
 */
export async function loadStac(
  source: string,
  options: LoadStacOptions = {},
): Promise<LoadStacResult> {
  const { from, to, signal, maxDepth = 8, concurrency = 8 } = options;
  const items: SceneItem[] = [];
  const failures: ItemFailure[] = [];
  const seenDocuments = new Set<string>();
  const seenIds = new Set<string>();

  const addItem = (json: unknown, href: string): void => {
    const parsed = parseSceneItem(json, href);
    if (!parsed.ok) {
      failures.push(parsed.failure);
      return;
    }
    const { item } = parsed;
    if (seenIds.has(item.id)) {
      failures.push({
        itemId: item.id,
        href,
        code: 'duplicate_item',
        reason: `item ${item.id} at ${href} was already loaded from another document; kept once`,
      });
      return;
    }
    seenIds.add(item.id);
    if (from !== undefined && item.datetime < from) return;
    if (to !== undefined && item.datetime > to) return;
    items.push(item);
  };

  const visit = async (href: string, depth: number): Promise<void> => {
    signal?.throwIfAborted();
    if (seenDocuments.has(href)) return;
    seenDocuments.add(href);
    let json: unknown;
    try {
      json = JSON.parse(await readText(href, signal));
    } catch (error) {
      signal?.throwIfAborted();
      failures.push({
        itemId: href,
        href,
        code: 'unreadable_document',
        reason: `cannot read STAC document ${href}: ${(error as Error).message}`,
      });
      return;
    }
    const record =
      typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
    const type = record['type'];
    if (type === 'Feature') {
      addItem(json, href);
    } else if (type === 'FeatureCollection') {
      const features = Array.isArray(record['features']) ? (record['features'] as unknown[]) : [];
      for (const feature of features) addItem(feature, href);
    } else if (type === 'Catalog' || type === 'Collection') {
      const links = Array.isArray(record['links']) ? (record['links'] as unknown[]) : [];
      const targets: { target: string; depth: number }[] = [];
      for (const link of links) {
        if (typeof link !== 'object' || link === null) continue;
        const { rel, href: linkHref } = link as Record<string, unknown>;
        if ((rel !== 'item' && rel !== 'child') || typeof linkHref !== 'string') continue;
        if (rel === 'child' && depth >= maxDepth) {
          failures.push({
            itemId: linkHref,
            href,
            code: 'too_deep',
            reason: `child link ${linkHref} of ${href} is deeper than maxDepth ${maxDepth}`,
          });
          continue;
        }
        let target: string;
        try {
          target = new URL(linkHref, href).href;
        } catch (error) {
          failures.push({
            itemId: linkHref,
            href,
            code: 'invalid_link',
            reason: `link href ${linkHref} in ${href} is not a URL (${String(error)})`,
          });
          continue;
        }
        targets.push({ target, depth: rel === 'child' ? depth + 1 : depth });
      }
      // Up to `concurrency` documents in flight (remote catalogs list hundreds of items).
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let k = next++; k < targets.length; k = next++) {
          const entry = targets[k];
          if (entry !== undefined) await visit(entry.target, entry.depth);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, worker));
    } else {
      failures.push({
        itemId: href,
        href,
        code: 'not_stac',
        reason: `${href}: type ${JSON.stringify(type)} is not Feature, FeatureCollection, Collection or Catalog`,
      });
    }
  };

  const root = toUrl(source);
  if (root.startsWith('file:') && (await isDirectory(fileURLToPath(root)))) {
    for (const path of await listJsonFiles(fileURLToPath(root))) {
      signal?.throwIfAborted();
      const href = pathToFileURL(path).href;
      let json: unknown;
      try {
        json = JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        failures.push({
          itemId: href,
          href,
          code: 'unreadable_document',
          reason: `cannot read ${path}: ${(error as Error).message}`,
        });
        continue;
      }
      if ((json as { type?: unknown } | null)?.type === 'Feature') addItem(json, href);
    }
  } else {
    await visit(root, 0);
  }
  items.sort((a, b) => a.datetime.getTime() - b.datetime.getTime() || a.id.localeCompare(b.id));
  return { items, failures };
}

/** A local path or URL as an absolute URL string. */
function toUrl(source: string): string {
  if (/^(https?|file):/i.test(source)) return new URL(source).href;
  return pathToFileURL(source).href;
}

async function readText(href: string, signal: AbortSignal | undefined): Promise<string> {
  if (href.startsWith('file:')) return readFile(fileURLToPath(href), { encoding: 'utf8', signal });
  if (!/^https?:/.test(href)) throw new Error(`unsupported URL scheme in ${href}`);
  const response = await fetch(href, signal === undefined ? {} : { signal });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  return response.text();
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // a missing path is reported by visit() as unreadable_document
  }
}

async function listJsonFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
