import { describe, expect, it } from 'vitest';
import { gate, tick } from '../testing/gate.ts';
import { KeyedQueue } from './keyed-queue.ts';

describe('KeyedQueue', () => {
  it('runs work on other keys at once, and work on the same key after it, in order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const herd = gate();
    const first = queue.run(['herd|h1|mass_exit'], async () => {
      log.push('herd starts');
      await herd.promise;
      log.push('herd ends');
    });
    const tag = queue.run(['tag|t1|outside'], () => {
      log.push('tag');
      return Promise.resolve();
    });
    const sameHerd = queue.run(['herd|h1|mass_exit', 'tag|t2|outside'], () => {
      log.push('herd again');
      return Promise.resolve();
    });
    await tag;
    await tick();
    expect(log).toEqual(['herd starts', 'tag']);
    herd.open();
    await Promise.all([first, sameHerd]);
    expect(log).toEqual(['herd starts', 'tag', 'herd ends', 'herd again']);
  });

  it('runs lone work after all before it and before all after it, and survives a failure', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const held = gate();
    const keyed = queue.run(['a'], async () => {
      await held.promise;
      log.push('a');
      throw new Error('a failed');
    });
    const alone = queue.runAlone(() => {
      log.push('sweep');
      return Promise.resolve('swept');
    });
    const after = queue.run(['b'], () => {
      log.push('b');
      return Promise.resolve();
    });
    await tick();
    expect(log).toEqual([]);
    held.open();
    await expect(keyed).rejects.toThrow('a failed');
    await expect(alone).resolves.toBe('swept');
    await after;
    await queue.idle();
    expect(log).toEqual(['a', 'sweep', 'b']);
  });
});
