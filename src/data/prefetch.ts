/** Items loading ahead of the one in use: a few batches keep decode workers busy across uneven decode times. */
export const PREFETCH_DEPTH = 4;

/**
 * Loads a sequence ahead of its use: item i + 1 .. i + depth are loading while item i is used, so decode workers
 * stay busy while the main thread records GPU work. A used item leaves the queue (nothing is retained).
 */
export class Prefetch<T> {
  private readonly queue: Promise<T>[] = [];
  private started = 0;

  constructor(
    private readonly count: number,
    private readonly load: (index: number) => Promise<T>,
    private readonly depth = PREFETCH_DEPTH,
  ) {}

  /** The next item in order; call it at most count times. */
  next(): Promise<T> {
    const used = this.started - this.queue.length;
    if (used >= this.count) throw new RangeError(`all ${this.count} items were taken`);
    for (; this.started < Math.min(this.count, used + 1 + this.depth); this.started++) {
      const loading = this.load(this.started);
      // Awaited later; if the caller stops first, its failure must not surface as an unhandled rejection.
      loading.catch(() => undefined);
      this.queue.push(loading);
    }
    return this.queue.shift()!;
  }
}
