import { describe, expect, it } from 'vitest';
import { Prefetch } from '../../src/data/prefetch.js';

describe('Prefetch', () => {
  it('hands the items out in order, starting at most depth loads past the one taken', async () => {
    const started: number[] = [];
    const prefetch = new Prefetch(6, async (i) => (started.push(i), `item ${i}`), 2);
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      got.push(await prefetch.next());
      expect(Math.max(...started)).toBe(Math.min(5, i + 2));
    }
    expect(got).toEqual([0, 1, 2, 3, 4, 5].map((i) => `item ${i}`));
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => prefetch.next()).toThrow(/all 6 items were taken/);
  });

  it('rejects a failed load at its turn, and leaves none unhandled when the caller stops before it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const prefetch = new Prefetch(4, async (i) => {
        if (i >= 2) throw new Error(`load ${i} failed`);
        return i;
      });
      expect(await prefetch.next()).toBe(0); // loads 1, 2 and 3 have started; 2 and 3 fail
      expect(await prefetch.next()).toBe(1);
      await expect(prefetch.next()).rejects.toThrow('load 2 failed');
      await new Promise((resolve) => setTimeout(resolve, 20)); // load 3's rejection, never taken
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
