/**
 * The order engine work runs in. Work on the same alerts (subject and kind) runs one at a time in
 * the order it came, so the state it reads is the one the work before it wrote; work on other
 * alerts does not wait for it (a tag leaving its fence is not held up by the herd's mass-exit
 * update, whose evidence lists hundreds of tags). Work that may touch any alert (the sweep, a
 * lifecycle change) runs alone: after everything before it, before everything after it.
 */
export class KeyedQueue {
  /** The last work submitted per key, settled (never rejects). */
  readonly #lastByKey = new Map<string, Promise<void>>();
  /** Keyed work in flight, settled. */
  readonly #inFlight = new Set<Promise<void>>();
  /** The last work that runs alone, settled. */
  #lastAlone: Promise<void> = Promise.resolve();

  run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const before = [this.#lastAlone];
    for (const key of keys) {
      const last = this.#lastByKey.get(key);
      if (last !== undefined) before.push(last);
    }
    const running = Promise.all(before).then(work);
    const settled = running.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) this.#lastByKey.set(key, settled);
    this.#inFlight.add(settled);
    void settled.then(() => {
      this.#inFlight.delete(settled);
      for (const key of keys) if (this.#lastByKey.get(key) === settled) this.#lastByKey.delete(key);
    });
    return running;
  }

  runAlone<T>(work: () => Promise<T>): Promise<T> {
    const running = Promise.all([this.#lastAlone, ...this.#inFlight]).then(work);
    this.#lastAlone = running.then(
      () => undefined,
      () => undefined,
    );
    return running;
  }

  /** Settles when everything submitted so far has. */
  async idle(): Promise<void> {
    await Promise.all([this.#lastAlone, ...this.#inFlight]);
  }
}
