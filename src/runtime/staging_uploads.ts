/**
 * Large uploads through staging buffers the host writes while they are mapped, copied into place on the GPU in
 * command order. queue.writeBuffer goes through Dawn's own staging memory, and for a CNN-X batch (3 MB) that took
 * 0.6-1.0 ms of host time per training step on an H100's host, as long as a third of the step. A staging buffer is
 * reused once the GPU has read it (its mapAsync resolves); at most `maxBytes` of them are held, and past that (or
 * while all are in flight) the caller falls back to writeBuffer.
 */

/** Staging buffers come in sizes rounded up to this, so a batch of any size reuses the same ones. */
const SIZE_STEP = 1 << 16;

export class StagingUploads {
  private readonly free: GPUBuffer[] = [];
  /** Written and recorded into the open command encoder, not yet submitted. */
  private readonly recorded: GPUBuffer[] = [];
  /** mapAsync calls not yet settled: a device destroyed under one leaves Dawn a callback to a freed buffer. */
  private readonly mapping = new Set<Promise<void>>();
  private held = 0;
  private destroyed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBytes: number,
  ) {}

  /**
   * Copies `data` into a mapped staging buffer and returns it unmapped, ready to be copied from by a command recorded
   * before the next submit (then call submitted()); null when none is free and the cap is reached.
   */
  write(data: Float32Array | Uint32Array | Int32Array): GPUBuffer | null {
    const size = Math.ceil(data.byteLength / SIZE_STEP) * SIZE_STEP;
    let i = this.free.findIndex((b) => b.size === size);
    if (i < 0 && this.held + size > this.maxBytes && this.free.length > 0) {
      this.release(this.free.shift()!); // a size no longer used: make room
      i = this.free.findIndex((b) => b.size === size);
    }
    let staging: GPUBuffer;
    if (i >= 0) {
      staging = this.free.splice(i, 1)[0]!;
    } else {
      if (this.held + size > this.maxBytes) return null;
      staging = this.device.createBuffer({
        size,
        usage: GPUBufferUsage.MAP_WRITE | GPUBufferUsage.COPY_SRC,
        mappedAtCreation: true,
        label: 'cnnx staging upload',
      });
      this.held += size;
    }
    new Uint8Array(staging.getMappedRange(0, data.byteLength)).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    staging.unmap();
    this.recorded.push(staging);
    return staging;
  }

  /** The recorded copies were submitted: each staging buffer returns to the free list once the GPU has read it. */
  submitted(): void {
    for (const staging of this.recorded.splice(0)) {
      const mapped: Promise<void> = staging.mapAsync(GPUMapMode.WRITE).then(
        () => {
          if (this.destroyed) staging.destroy();
          else this.free.push(staging);
        },
        () => staging.destroy(), // the device went away
      ).finally(() => this.mapping.delete(mapped));
      this.mapping.add(mapped);
    }
  }

  /** Resolves once every staging buffer handed to the GPU is mapped again (after the work that reads it is done). */
  async settled(): Promise<void> {
    await Promise.all([...this.mapping]);
  }

  destroy(): void {
    this.destroyed = true;
    for (const staging of [...this.free.splice(0), ...this.recorded.splice(0)]) staging.destroy();
    this.held = 0;
  }

  private release(staging: GPUBuffer): void {
    this.held -= staging.size;
    staging.destroy();
  }
}
