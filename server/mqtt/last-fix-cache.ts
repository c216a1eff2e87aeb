import type { TagFix } from '../../iot/index.ts';
import type { Queryable } from '../db/storage.ts';

export const defaultLastFixCacheSize = 100_000;

/** One cached tag, a link in the recency list (least recently used first). */
interface Entry {
  readonly tagCode: string;
  fix: TagFix | null;
  older: Entry | null;
  newer: Entry | null;
}

/**
 * The last accepted fix per tag, for the plausibility check: a bounded LRU map (least recently
 * used tag evicted first), filled lazily from the database's latest stored fix the first time a
 * tag is seen. `null` remembers "no fix stored".
 *
 * Recency is a doubly linked list beside the map, so a hit and an eviction are a few pointer
 * moves. (Evicting through `map.keys().next()` after delete-and-reinsert looked simpler but cost
 * O(deleted entries) per eviction in V8, whose maps keep deleted slots until they rehash: once
 * the cache was full, every new tag took tens of microseconds.)
 *
 * The entry moves on as soon as a fix is accepted, before its row is committed: a message that
 * fails to store is redelivered by the broker as an exact duplicate, which the check accepts.
 */
export class LastFixCache {
  readonly #entries = new Map<string, Entry>();
  #oldest: Entry | null = null;
  #newest: Entry | null = null;
  readonly #maxTags: number;
  readonly #db: Queryable;
  /** Tags whose lookup is queued or running, with the promise that settles when it is done. */
  readonly #loading = new Map<string, Promise<void>>();
  /** Tags gathered for the next lookup query. */
  #next: { tags: string[]; done: Promise<void>; start(): void } | null = null;
  #queryRunning = false;

  constructor(db: Queryable, options: { maxTags?: number } = {}) {
    this.#db = db;
    this.#maxTags = options.maxTags ?? defaultLastFixCacheSize;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Whether every one of these tags is cached and none is being loaded: then the check can run at
   * once, without `load` (and without a turn of the event loop).
   */
  hasAll(tagCodes: readonly string[]): boolean {
    if (this.#loading.size > 0) {
      for (const tag of tagCodes) if (this.#loading.has(tag)) return false;
    }
    for (const tag of tagCodes) if (!this.#entries.has(tag)) return false;
    return true;
  }

  /**
   * Loads the latest stored fix of each tag not yet cached. A tag already being loaded for an
   * earlier message is awaited, not queried again, so messages of one tag still reach the check
   * in the order they arrived.
   */
  async load(tagCodes: Iterable<string>): Promise<void> {
    let waits: Promise<void>[] | null = null;
    let missing: string[] | null = null;
    for (const tag of tagCodes) {
      const pending = this.#loading.get(tag);
      if (pending !== undefined) {
        waits ??= [];
        if (!waits.includes(pending)) waits.push(pending);
      } else if (!this.#entries.has(tag)) {
        missing ??= [];
        if (!missing.includes(tag)) missing.push(tag);
      }
    }
    if (missing !== null) {
      const loading = this.#enqueue(missing);
      for (const tag of missing) this.#loading.set(tag, loading);
      waits ??= [];
      if (!waits.includes(loading)) waits.push(loading);
    }
    if (waits === null) return;
    if (waits.length === 1) await waits[0];
    else await Promise.all(waits);
  }

  /**
   * Tags first seen by many messages at once are looked up together: one query at a time, and
   * the tags that arrive while it runs go into the next one. At thousands of new tags a second,
   * one query per message took every pooled connection and capped ingest near 3 000 readings/s;
   * one per event-loop turn still cost a database round trip every few messages.
   */
  #enqueue(tags: readonly string[]): Promise<void> {
    if (this.#next === null) {
      let start: () => void = () => undefined;
      const gathered: string[] = [];
      const began = new Promise<void>((resolve) => (start = resolve));
      const done = began.then(() => this.#query(gathered));
      const batch = { tags: gathered, done, start };
      this.#next = batch;
      // Settles the tags' entries in #loading and starts the next query, success or failure
      // alike; the callers await `done` and see its failure.
      const finish = (): void => {
        for (const tag of gathered) {
          if (this.#loading.get(tag) === done) this.#loading.delete(tag);
        }
        this.#queryRunning = false;
        this.#startNext();
      };
      void done.then(finish, finish);
      if (!this.#queryRunning) setImmediate(() => this.#startNext());
    }
    for (const tag of tags) this.#next.tags.push(tag);
    return this.#next.done;
  }

  #startNext(): void {
    if (this.#queryRunning || this.#next === null) return;
    const batch = this.#next;
    this.#next = null;
    this.#queryRunning = true;
    batch.start();
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
      if (this.#entries.has(tag)) continue;
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
    const entry = this.#entries.get(tagCode);
    if (entry === undefined) return null;
    this.#touch(entry);
    return entry.fix;
  }

  /** Records an accepted fix as the tag's latest. */
  set(tagCode: string, fix: TagFix): void {
    this.#remember(tagCode, fix);
  }

  #remember(tagCode: string, fix: TagFix | null): void {
    const known = this.#entries.get(tagCode);
    if (known !== undefined) {
      known.fix = fix;
      this.#touch(known);
      return;
    }
    const entry: Entry = { tagCode, fix, older: this.#newest, newer: null };
    if (this.#newest !== null) this.#newest.newer = entry;
    this.#newest = entry;
    this.#oldest ??= entry;
    this.#entries.set(tagCode, entry);
    while (this.#entries.size > this.#maxTags && this.#oldest !== null) {
      const evicted: Entry = this.#oldest;
      this.#unlink(evicted);
      this.#entries.delete(evicted.tagCode);
    }
  }

  /** Moves an entry to the newest end of the recency list. */
  #touch(entry: Entry): void {
    if (this.#newest === entry) return;
    this.#unlink(entry);
    entry.older = this.#newest;
    if (this.#newest !== null) this.#newest.newer = entry;
    this.#newest = entry;
    this.#oldest ??= entry;
  }

  #unlink(entry: Entry): void {
    if (entry.older !== null) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer !== null) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = null;
    entry.newer = null;
  }
}
