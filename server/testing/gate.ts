/** A promise and its opener, to hold async work open until a test lets it end. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets every callback already queued run (promise jobs and I/O callbacks). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
