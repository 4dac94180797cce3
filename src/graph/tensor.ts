/**
 * A float32 tensor whose data lives in a GPU buffer. Views (reshape) share one Storage, counted by reference, so
 * the buffer goes back to the pool when its last handle is disposed.
 */
import type { Gpu } from '../runtime/gpu.js';
import { fill } from '../kernels/fill.js';
import { track } from './scope.js';
import type { Node } from './tape.js';

export class Storage {
  private refs = 1;
  /**
   * Writes of the data in place since it was made (the host's, Adam's, a training batch norm's running statistics):
   * what is derived from the data and kept (a batch norm's eval stats rows) compares it to know it still holds.
   */
  version = 0;

  constructor(
    readonly gpu: Gpu,
    readonly buffer: GPUBuffer,
    readonly bytes: number,
  ) {}

  retain(): this {
    if (this.refs <= 0) throw new Error(`buffer ${this.buffer.label} was already freed`);
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs === 0) this.gpu.free(this.buffer);
  }

  get alive(): boolean {
    return this.refs > 0;
  }

  /** More than one handle sees this data, so writing it in place would change the others. */
  get isShared(): boolean {
    return this.refs > 1;
  }
}

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

export class Tensor {
  readonly isTensor = true;
  /** Set for tensors whose gradient is wanted: parameters, and every result computed from one while grad is on. */
  requiresGrad = false;
  /** Accumulated gradient of a leaf (a parameter); owned by the tensor. */
  grad: Tensor | null = null;
  /** Also keep the gradient of this intermediate result in `.grad` during backward (Grad-CAM's activations). */
  retainGrad = false;
  /** The op that produced this tensor, for backward; null for leaves. */
  creator: Node | null = null;
  private disposed = false;

  constructor(
    readonly storage: Storage,
    readonly shape: Shape,
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid tensor shape [${shape.join(', ')}]`);
    }
    if (numel(shape) * 4 > storage.bytes) {
      throw new RangeError(`shape [${shape.join(', ')}] does not fit a storage of ${storage.bytes} bytes`);
    }
    track(this);
  }

  /** A new uninitialised tensor (NaN-filled when the device poisons outputs). `label` names its producer. */
  static empty(gpu: Gpu, shape: Shape, label: string): Tensor {
    const bytes = Math.max(4, numel(shape) * 4);
    const tensor = new Tensor(new Storage(gpu, gpu.alloc(bytes, label), bytes), shape);
    if (gpu.poison) fill(gpu, tensor.buffer, numel(shape), NaN);
    return tensor;
  }

  static full(gpu: Gpu, shape: Shape, value: number, label = 'full'): Tensor {
    const bytes = Math.max(4, numel(shape) * 4);
    const tensor = new Tensor(new Storage(gpu, gpu.alloc(bytes, label), bytes), shape);
    fill(gpu, tensor.buffer, numel(shape), value);
    return tensor;
  }

  static zeros(gpu: Gpu, shape: Shape, label = 'zeros'): Tensor {
    return Tensor.full(gpu, shape, 0, label);
  }

  static fromData(gpu: Gpu, data: ArrayLike<number>, shape: Shape, label = 'data'): Tensor {
    if (data.length !== numel(shape)) {
      throw new RangeError(`${label}: ${data.length} values do not fill shape [${shape.join(', ')}]`);
    }
    const bytes = Math.max(4, data.length * 4);
    const tensor = new Tensor(new Storage(gpu, gpu.alloc(bytes, label), bytes), shape);
    tensor.write(data);
    return tensor;
  }

  get gpu(): Gpu {
    return this.storage.gpu;
  }

  get buffer(): GPUBuffer {
    this.assertAlive();
    return this.storage.buffer;
  }

  get size(): number {
    return numel(this.shape);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Overwrites the data from the host (ordered after every dispatch recorded so far). */
  write(data: ArrayLike<number>): void {
    if (data.length !== this.size) {
      throw new RangeError(`${data.length} values do not fill shape [${this.shape.join(', ')}]`);
    }
    this.gpu.upload(this.buffer, data instanceof Float32Array ? data : Float32Array.from(data));
    this.markWritten();
  }

  /** How many times the data was written in place (Storage.version). */
  get version(): number {
    return this.storage.version;
  }

  /** Records that a kernel wrote the data in place (see Storage.version). */
  markWritten(): void {
    this.storage.version++;
  }

  /** Copies the data to the host (flushes pending GPU work). */
  async read(): Promise<Float32Array> {
    return this.gpu.read(this.buffer, this.size * 4);
  }

  /** Another handle on the same data; the data lives until every handle is disposed. */
  retain(): Tensor {
    const handle = new Tensor(this.storage.retain(), this.shape);
    handle.requiresGrad = this.requiresGrad;
    handle.creator = this.creator;
    return handle;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.storage.release();
    this.grad?.dispose();
    this.grad = null;
  }

  toString(): string {
    return `Tensor[${this.shape.join(', ')}]`;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this} was used after dispose()`);
  }
}
