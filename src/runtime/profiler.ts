/**
 * Per-dispatch GPU time from timestamp queries: while profiling, each dispatch runs in its own compute pass that
 * writes a begin and an end timestamp; the pairs are resolved at each submission and read back on demand.
 */

export interface KernelTime {
  name: string;
  ms: number;
}

interface Batch {
  names: string[];
  staging: GPUBuffer;
}

export class Profiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private names: string[] = [];
  private readonly batches: Batch[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly capacity = 2048,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * capacity, label: 'profiler' });
    this.resolveBuffer = device.createBuffer({
      size: 16 * capacity,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      label: 'profiler resolve',
    });
  }

  /** Timestamp writes for the next dispatch, or undefined when this submission's slots are used up. */
  next(name: string): GPUComputePassTimestampWrites | undefined {
    if (this.names.length >= this.capacity) return undefined;
    const i = this.names.length;
    this.names.push(name);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Records the resolve of this submission's timestamps; call before finishing the encoder. */
  resolve(encoder: GPUCommandEncoder): void {
    const count = this.names.length;
    if (count === 0) return;
    const staging = this.device.createBuffer({
      size: 16 * count,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: 'profiler staging',
    });
    encoder.resolveQuerySet(this.querySet, 0, 2 * count, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, staging, 0, 16 * count);
    this.batches.push({ names: this.names, staging });
    this.names = [];
  }

  /** Times of every dispatch resolved so far, in order. */
  async collect(): Promise<KernelTime[]> {
    const out: KernelTime[] = [];
    for (const batch of this.batches.splice(0)) {
      await batch.staging.mapAsync(GPUMapMode.READ);
      const stamps = new BigUint64Array(batch.staging.getMappedRange());
      batch.names.forEach((name, i) => out.push({ name, ms: Number(stamps[2 * i + 1]! - stamps[2 * i]!) / 1e6 }));
      batch.staging.destroy();
    }
    return out;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
