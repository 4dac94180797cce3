/**
 * Waiting on Dawn without spinning a core. Dawn's Node binding keeps its promises moving by calling
 * `globalThis.setImmediate` in a loop for as long as one is pending, so a 300 ms GPU step costs ~100 ms of a CPU
 * core in polls. On a software adapter (lavapipe) that core is one the driver would run the kernels on: measured on
 * 2 cores, a 3.4 s batch of FMA dispatches finished in 2.4 s once the polls slept. While at least one wait is
 * pending, setImmediate is swapped for a 1 ms timer after the first millisecond, then put back.
 */
const SPIN_MS = 1;

let pending = 0;
let since = 0;
let original: typeof setImmediate | null = null;

export async function unhurriedWait<T>(work: Promise<T>): Promise<T> {
  if (pending++ === 0) install();
  try {
    return await work;
  } finally {
    if (--pending === 0) restore();
  }
}

function install(): void {
  const immediate = globalThis.setImmediate;
  original = immediate;
  since = performance.now();
  const patient = ((callback: (...args: unknown[]) => void, ...args: unknown[]) =>
    performance.now() - since < SPIN_MS ? immediate(callback, ...args) : setTimeout(callback, 1, ...args)) as typeof setImmediate;
  globalThis.setImmediate = patient;
}

function restore(): void {
  if (original) globalThis.setImmediate = original;
  original = null;
}
