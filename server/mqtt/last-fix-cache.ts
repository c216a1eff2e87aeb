import type { TagFix } from '../../iot/index.ts';
import type { Queryable } from '../db/storage.ts';

export const defaultLastFixCacheSize = 100_000;

/**
 * The last accepted fix per tag, for the plausibility check: a bounded LRU map (least recently
 * used tag evicted first), filled lazily from the database's latest stored fix the first time a
 * tag is seen (one query per message for all its unseen tags). `null` remembers "no fix stored".
 *
 * The entry moves on as soon as a fix is accepted, before its row is committed: a message that
 * fails to store is redelivered by the broker as an exact duplicate, which the check accepts.
 */
export class LastFixCache {
  readonly #fixes = new Map<string, TagFix | null>();
  readonly #maxTags: number;
  readonly #db: Queryable;
  readonly #loading = new Map<string, Promise<void>>();
  #pending: { tags: Set<string>; done: Promise<void> } | null = null;

  constructor(db: Queryable, options: { maxTags?: number } = {}) {
    this.#db = db;
    this.#maxTags = options.maxTags ?? defaultLastFixCacheSize;
  }

  get size(): number {
    return this.#fixes.size;
  }

  /**
   * Loads the latest stored fix of each tag not yet cached, in one query. A tag already being
   * loaded for an earlier message is awaited, not queried again, so messages of one tag still
   * reach the check in the order they arrived.
   */
  async load(tagCodes: Iterable<string>): Promise<void> {
    const unique = [...new Set(tagCodes)];
    const waits = new Set<Promise<void>>();
    const missing: string[] = [];
    for (const tag of unique) {
      const pending = this.#loading.get(tag);
      if (pending !== undefined) waits.add(pending);
      else if (!this.#fixes.has(tag)) missing.push(tag);
    }
    if (missing.length > 0) {
      const loading = this.#enqueue(missing);
      for (const tag of missing) this.#loading.set(tag, loading);
      const settle = (): void => {
        for (const tag of missing)
          if (this.#loading.get(tag) === loading) this.#loading.delete(tag);
      };
      // The caller awaits `loading` below and sees its failure; this only tidies the map.
      void loading.then(settle, settle);
      waits.add(loading);
    }
    await Promise.all(waits);
  }

  /**
   * Tags first seen by many messages at once are looked up in one query per turn of the event
   * loop, not one per message: at thousands of messages a second, per-message queries took every
   * pooled connection and capped ingest near 3 000 readings/s.
   */
  #enqueue(tags: readonly string[]): Promise<void> {
    if (this.#pending === null) {
      const batch = { tags: new Set<string>(), done: Promise.resolve() };
      batch.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.#pending = null;
        return this.#query([...batch.tags]);
      });
      this.#pending = batch;
    }
    for (const tag of tags) this.#pending.tags.add(tag);
    return this.#pending.done;
  }

  async #query(missing: readonly string[]): Promise<void> {
    const { rows } = await this.#db.query<{
      tag_code: string;
      observed_at: Date | string;
      lat: number;
      lon: number;
    }>(
      `select distinct on (tag_code) tag_code, observed_at, lat, lon
       from tag_readings where tag_code = any($1::text[])
       order by tag_code, observed_at desc`,
      [missing],
    );
    const stored = new Map(rows.map((r) => [r.tag_code, r]));
    for (const tag of missing) {
      // A concurrent message may have cached a newer fix while the query ran: keep it.
      if (this.#fixes.has(tag)) continue;
      const row = stored.get(tag);
      this.#remember(
        tag,
        row === undefined
          ? null
          : { observedAt: new Date(row.observed_at), lat: Number(row.lat), lon: Number(row.lon) },
      );
    }
  }

  /** The last accepted fix of a tag (null: none), marking the tag recently used. */
  get(tagCode: string): TagFix | null {
    const fix = this.#fixes.get(tagCode) ?? null;
    if (this.#fixes.has(tagCode)) this.#remember(tagCode, fix);
    return fix;
  }

  /** Records an accepted fix as the tag's latest. */
  set(tagCode: string, fix: TagFix): void {
    this.#remember(tagCode, fix);
  }

  #remember(tagCode: string, fix: TagFix | null): void {
    this.#fixes.delete(tagCode);
    this.#fixes.set(tagCode, fix);
    while (this.#fixes.size > this.#maxTags) {
      const oldest = this.#fixes.keys().next();
      if (oldest.done === true) break;
      this.#fixes.delete(oldest.value);
    }
  }
}
