/**
 * A small seeded random number generator, so that training, initialisation and splits repeat
 * exactly for the same seed. Mulberry32 (Tommy Ettinger, public domain): 32-bit state, fast, good
 * enough for shuffling and weight initialisation (not for cryptography).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

/**
 * @example const random = createRandom(42); random.next(); // the same value on every run
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    int: (n) => Math.floor(next() * n),
  };
}

/** Fisher-Yates shuffle in place with the given generator; returns the array. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(
  array: T,
  random: Random,
): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}
