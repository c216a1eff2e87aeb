import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.ts';

describe('Fifo', () => {
  it('gives items back in the order they were pushed, and undefined when empty', () => {
    const queue = new Fifo<string>();
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
    queue.push('a');
    queue.push('b');
    expect(queue.length).toBe(2);
    expect(queue.peek()).toBe('a');
    expect(queue.shift()).toBe('a');
    queue.push('c');
    expect([queue.shift(), queue.shift(), queue.shift()]).toEqual(['b', 'c', undefined]);
    expect(queue.length).toBe(0);
  });

  it('keeps the order across its compactions, with pushes and shifts interleaved', () => {
    const queue = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    // Pushes run ahead of shifts so that thousands stay queued: every compaction path is taken.
    for (let round = 0; round < 20_000; round += 1) {
      queue.push(next++);
      if (round % 3 !== 0) queue.push(next++);
      const item = queue.shift();
      if (item !== undefined) out.push(item);
      expect(queue.length).toBe(next - out.length);
    }
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});
