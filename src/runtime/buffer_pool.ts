/**
 * A pool of GPU storage buffers, recycled by size class so a training step reuses last step's buffers instead of
 * allocating. Reuse is safe without fences: every buffer is only touched by work on the one queue, in order.
 */
import { GpuError } from './errors.js';

export interface PoolStats {
  /** Buffers created and not destroyed (in use + free). */
  buffers: number;
  bytes: number;
  inUse: number;
  inUseBytes: number;
  /** Largest inUseBytes seen since the last resetPeak(). */
  peakInUseBytes: number;
}

/** Rounds up to a size class: 256-byte granules below 64 KiB, then quarter steps between powers of two (<= 25% waste). */
export function sizeClass(bytes: number): number {
  const n = Math.max(256, bytes);
  if (n <= 65536) return Math.ceil(n / 256) * 256;
  const pow = 2 ** Math.floor(Math.log2(n));
  const step = pow / 4;
  return Math.ceil(n / step) * step;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly sizeOf = new Map<GPUBuffer, number>();
  /**
   * The label each buffer was last given. A step hands the same buffers the same labels step after step; setting a
   * label calls into Dawn (which passes it on to the driver), so it is only set when it changes.
   */
  private readonly labels = new Map<GPUBuffer, string>();
  private stats: PoolStats = { buffers: 0, bytes: 0, inUse: 0, inUseBytes: 0, peakInUseBytes: 0 };

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  acquire(bytes: number, label: string): GPUBuffer {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) throw new GpuError(`${label}: cannot allocate ${bytes} bytes`);
    const size = sizeClass(bytes);
    if (size > this.maxBufferSize) {
      throw new GpuError(
        `${label}: needs a buffer of ${formatBytes(bytes)} but this device allows at most ${formatBytes(this.maxBufferSize)} ` +
          '(maxBufferSize); a smaller batch or input size needs less',
      );
    }
    const list = this.free.get(size);
    let buffer = list?.pop();
    if (!buffer) {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      buffer = this.device.createBuffer({ size, usage, label });
      this.sizeOf.set(buffer, size);
      this.labels.set(buffer, label);
      this.stats.buffers++;
      this.stats.bytes += size;
    } else if (this.labels.get(buffer) !== label) {
      buffer.label = label;
      this.labels.set(buffer, label);
    }
    this.stats.inUse++;
    this.stats.inUseBytes += size;
    this.stats.peakInUseBytes = Math.max(this.stats.peakInUseBytes, this.stats.inUseBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    const size = this.sizeOf.get(buffer);
    if (size === undefined) throw new Error(`buffer ${buffer.label} does not belong to this pool`);
    this.stats.inUse--;
    this.stats.inUseBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
  }

  /** Destroys every free buffer (in-use ones stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.stats.buffers--;
        this.stats.bytes -= this.sizeOf.get(buffer)!;
        this.sizeOf.delete(buffer);
        this.labels.delete(buffer);
        buffer.destroy();
      }
    }
    this.free.clear();
  }

  resetPeak(): void {
    this.stats.peakInUseBytes = this.stats.inUseBytes;
  }

  getStats(): PoolStats {
    return { ...this.stats };
  }
}

/** "1,073,741,824 bytes (1.00 GiB)": exact, and readable at a glance. */
function formatBytes(bytes: number): string {
  const gib = bytes / 2 ** 30;
  const readable = gib >= 1 ? `${gib.toFixed(2)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes.toLocaleString('en-US')} bytes (${readable})`;
}
