/**
 * A lane of condition lists on their way to the alert engine, applied one engine call at a time,
 * in the order they came. While a call is in flight, the lists pushed meanwhile wait and then go
 * in one call together, as long as no two of them share a subject and kind: within one call the
 * engine keeps the last condition per key, so two lists with a key in common go in two calls and
 * every transition is kept.
 *
 * A list may name what it must wait for (`after`): the herd monitor's herd-level lists wait for
 * the tag-level lists before them, so a mass exit never goes out ahead of the tags that make it,
 * while a tag's alert never waits for a herd's.
 */
import type { ObservedCondition } from './types.ts';

interface WaitingList {
  readonly conditions: readonly ObservedCondition[];
  readonly after: Promise<void>;
  readonly settle: () => void;
}

/** Applies one call's conditions. */
export type ApplyConditions = (conditions: ObservedCondition[]) => Promise<unknown>;

/** Told of a call that failed (the lane does not retry it, and goes on with the next). */
export type ApplyFailed = (error: unknown, conditions: readonly ObservedCondition[]) => void;

const keyOf = (c: ObservedCondition): string => `${c.subjectType}|${c.subjectId}|${c.kind}`;

export class ConditionLane {
  readonly #apply: ApplyConditions;
  readonly #failed: ApplyFailed;
  #waiting: WaitingList[] = [];
  #running = false;
  #lastSettled: Promise<void> = Promise.resolve();

  constructor(apply: ApplyConditions, failed: ApplyFailed) {
    this.#apply = apply;
    this.#failed = failed;
  }

  /** Settles when every list pushed so far has been applied (or has failed). */
  get applied(): Promise<void> {
    return this.#lastSettled;
  }

  push(conditions: readonly ObservedCondition[], after: Promise<void> = Promise.resolve()): void {
    if (conditions.length === 0) return;
    let settle!: () => void;
    this.#lastSettled = new Promise<void>((resolve) => (settle = resolve));
    this.#waiting.push({ conditions, after, settle });
    if (!this.#running) {
      this.#running = true;
      void this.#run();
    }
  }

  async #run(): Promise<void> {
    for (;;) {
      // Checked and cleared in one step, so a list pushed at any moment finds the lane running
      // or starts it.
      if (this.#waiting.length === 0) {
        this.#running = false;
        return;
      }
      const taken = this.#takeDisjoint();
      const conditions = taken.flatMap((list) => list.conditions);
      try {
        // What a list waits for only orders it: a failure there is its owner's to report.
        await Promise.allSettled(taken.map((list) => list.after));
        await this.#apply(conditions);
      } catch (error) {
        this.#failed(error, conditions);
      } finally {
        for (const list of taken) list.settle();
      }
    }
  }

  /** The waiting lists from the first on, in order, while no two share a key. */
  #takeDisjoint(): WaitingList[] {
    const keys = new Set<string>();
    let count = 0;
    for (const list of this.#waiting) {
      const listKeys = list.conditions.map(keyOf);
      if (count > 0 && listKeys.some((k) => keys.has(k))) break;
      for (const k of listKeys) keys.add(k);
      count += 1;
    }
    return this.#waiting.splice(0, count);
  }
}
