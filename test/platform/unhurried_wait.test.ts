import { describe, expect, it } from 'vitest';
import { unhurriedWait } from '../../src/platform/unhurried_wait.js';

/** Counts how often a setImmediate-driven poll (as Dawn's Node binding runs one) fires until `done` says stop. */
function poll(done: () => boolean): { count: () => number } {
  let count = 0;
  const tick = (): void => {
    count++;
    if (!done()) setImmediate(tick);
  };
  setImmediate(tick);
  return { count: () => count };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('unhurriedWait', () => {
  it('resolves with the awaited value and puts setImmediate back, also after a rejection', async () => {
    const original = globalThis.setImmediate;
    await expect(unhurriedWait(Promise.resolve(42))).resolves.toBe(42);
    expect(globalThis.setImmediate).toBe(original);
    await expect(unhurriedWait(Promise.reject(new Error('lost')))).rejects.toThrow('lost');
    expect(globalThis.setImmediate).toBe(original);
  });

  it('keeps setImmediate swapped while any of several overlapping waits is pending', async () => {
    const original = globalThis.setImmediate;
    const first = unhurriedWait(sleep(20));
    const second = unhurriedWait(sleep(40));
    expect(globalThis.setImmediate).not.toBe(original);
    await first;
    expect(globalThis.setImmediate).not.toBe(original);
    await second;
    expect(globalThis.setImmediate).toBe(original);
  });

  it('turns a busy setImmediate poll into about one poll per millisecond while waiting', async () => {
    let stop = false;
    const busy = poll(() => stop);
    await sleep(100);
    stop = true;
    const busyPolls = busy.count();

    stop = false;
    let gentle!: { count: () => number };
    await unhurriedWait(
      (async () => {
        gentle = poll(() => stop);
        await sleep(100);
        stop = true;
      })(),
    );
    // A free-running setImmediate loop runs thousands of times in 100 ms; the paced one spins for its first
    // millisecond, then about once per millisecond.
    expect(busyPolls, `busy ${busyPolls}, paced ${gentle.count()}`).toBeGreaterThan(2000);
    expect(gentle.count(), `busy ${busyPolls}, paced ${gentle.count()}`).toBeLessThan(busyPolls / 5);
  });
});
