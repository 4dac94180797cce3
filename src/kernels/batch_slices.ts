/**
 * Tensors larger than one storage binding. A buffer may be far larger than maxStorageBufferBindingSize (128 MiB on
 * lavapipe; VGG16's first activations at batch 15 are 192 MB), so a kernel over such a tensor is dispatched once per
 * slice whose bindings fit:
 * - per-sample kernels (conv2d, pooling, batchnorm2d's passes, concat) take the batch in slices of whole samples;
 *   each slice binds its samples' byte range of every batched operand, or, where that range would not start at a
 *   multiple of minStorageBufferOffsetAlignment, a scratch copy of it (buffer copies need only 4-byte alignment);
 * - flat elementwise kernels take element ranges starting at multiples of 64 floats (256 bytes, always aligned).
 * Every element is computed by the same code from the same inputs whatever the slicing, so elementwise and
 * per-sample results do not change. Reductions over the batch: batchnorm2d's slices write their partials into the one
 * buffer its finalize pass merges (the same statistics as unsliced); conv2d's weight and bias gradients add each
 * slice's sum in slice order (deterministic, and equal to one pass up to rounding).
 * When everything fits, the kernel runs once on the whole buffers, exactly as without slicing.
 */
import { bufferBytes } from '../runtime/binding_bytes.js';
import type { Binding, Gpu } from '../runtime/gpu.js';
import { GpuError } from '../runtime/errors.js';
import type { KernelSpec, ParamValues } from './kernel.js';

/** Byte offsets of element slices are multiples of this (the largest minStorageBufferOffsetAlignment allowed). */
const ELEMENT_SLICE_ALIGN = 256;

export interface BatchOperand {
  buffer: GPUBuffer;
  /** Bytes of one sample (a multiple of 4); the batch is laid out sample after sample from byte 0. */
  sampleBytes: number;
  /** How the kernel uses it: what a scratch copy must carry in ('read'), out ('write'), or both. */
  access: 'read' | 'write' | 'readwrite';
  /** Names the operand in errors (x, y, dy, ...). */
  role: string;
}

/**
 * Samples per slice so that every operand's slice fits `maxBytes`: the whole batch when it fits; else the most that
 * fit, rounded down to a multiple of the samples after which every operand's offset is `align`-aligned again (so
 * every slice binds byte ranges directly) when at least that many fit. Throws when one sample does not fit.
 */
export function samplesPerSlice(
  kernel: string,
  batch: number,
  operands: readonly Pick<BatchOperand, 'sampleBytes' | 'role'>[],
  maxBytes: number,
  align: number,
): number {
  let fit = batch;
  let step = 1;
  for (const { sampleBytes, role } of operands) {
    if (sampleBytes > maxBytes) {
      throw new GpuError(
        `${kernel}: one sample of "${role}" is ${sampleBytes} bytes, over this device's maxStorageBufferBindingSize ` +
          `of ${maxBytes}, so even a batch slice of one sample cannot be bound; a smaller input size needs less`,
      );
    }
    if (sampleBytes === 0) continue;
    fit = Math.min(fit, Math.floor(maxBytes / sampleBytes));
    step = lcm(step, align / gcd(sampleBytes, align));
  }
  if (fit >= batch) return batch;
  return fit >= step ? fit - (fit % step) : fit;
}

/**
 * Calls `launch(count, bindings, start)` for consecutive slices [start, start + count) of the batch, with each
 * operand bound (in the given order) as its slice's byte range or a scratch copy of it; `launch` records the kernel
 * for a batch of `count`. When the whole batch fits, one call binds the whole buffers.
 */
export function forEachBatchSlice(
  gpu: Gpu,
  kernel: string,
  batch: number,
  operands: readonly BatchOperand[],
  launch: (count: number, bindings: Binding[], start: number) => void,
): void {
  const maxBytes = gpu.limits.maxStorageBufferBindingSize;
  const align = gpu.limits.minStorageBufferOffsetAlignment;
  const per = samplesPerSlice(kernel, batch, operands, maxBytes, align);
  if (per >= batch) {
    launch(batch, operands.map((o) => whole(o.buffer, batch * o.sampleBytes, maxBytes)), 0);
    return;
  }
  const scratch = new Map<BatchOperand, GPUBuffer>();
  for (let start = 0; start < batch; start += per) {
    const count = Math.min(per, batch - start);
    const copies: { operand: BatchOperand; copy: GPUBuffer; offset: number; bytes: number }[] = [];
    const bindings = operands.map((operand): Binding => {
      const offset = start * operand.sampleBytes;
      const bytes = Math.max(4, count * operand.sampleBytes);
      if (offset % align === 0) return { buffer: operand.buffer, offset, size: bytes };
      let copy = scratch.get(operand);
      if (!copy) scratch.set(operand, (copy = gpu.alloc(per * operand.sampleBytes, `${kernel}:${operand.role} slice`)));
      if (operand.access !== 'write') gpu.copy(operand.buffer, offset, copy, 0, bytes);
      copies.push({ operand, copy, offset, bytes });
      return { buffer: copy, offset: 0, size: bytes };
    });
    launch(count, bindings, start);
    for (const { operand, copy, offset, bytes } of copies) {
      if (operand.access !== 'read') gpu.copy(copy, 0, operand.buffer, offset, bytes);
    }
  }
  for (const copy of scratch.values()) gpu.free(copy);
}

/**
 * gpu.run of `spec` over the batch in slices: `params(count)` gives its Params for a slice of `count` samples, and
 * each entry of `bindings` is either bound as is in every slice or a batched operand bound slice by slice.
 */
export function runInBatchSlices<P extends string>(
  gpu: Gpu,
  spec: KernelSpec<P>,
  batch: number,
  params: (count: number) => ParamValues<P>,
  bindings: readonly (Binding | BatchOperand)[],
): void {
  const operands = bindings.filter(isOperand);
  forEachBatchSlice(gpu, spec.name, batch, operands, (count, sliced) => {
    let next = 0;
    gpu.run(spec, params(count), bindings.map((b) => (isOperand(b) ? sliced[next++]! : b)));
  });
}

/**
 * Calls `launch(start, count, bindings)` for consecutive element ranges [start, start + count) of `n` floats in
 * every buffer (all laid out alike, as flat elementwise kernels see them). When all fit, one call binds the whole
 * buffers. Ranges after the first start at multiples of 64 floats and extend to whole vec4s, which vec4 kernels
 * touch (pooled buffers are multiples of 256 bytes).
 */
export function forEachElementSlice(
  gpu: Gpu,
  n: number,
  buffers: readonly GPUBuffer[],
  launch: (start: number, count: number, bindings: Binding[]) => void,
): void {
  const maxBytes = gpu.limits.maxStorageBufferBindingSize;
  if (roundUp(n * 4, 16) <= maxBytes) {
    launch(0, n, buffers.map((buffer) => whole(buffer, n * 4, maxBytes)));
    return;
  }
  const per = (Math.floor(maxBytes / ELEMENT_SLICE_ALIGN) * ELEMENT_SLICE_ALIGN) / 4;
  for (let start = 0; start < n; start += per) {
    const count = Math.min(per, n - start);
    const range = (buffer: GPUBuffer): Binding => {
      const offset = start * 4;
      return { buffer, offset, size: Math.min(roundUp(count * 4, 16), bufferBytes(buffer) - offset) };
    };
    launch(start, count, buffers.map(range));
  }
}

function isOperand(b: Binding | BatchOperand): b is BatchOperand {
  return 'sampleBytes' in b;
}

/** The buffer itself when it fits one binding (as unsliced code binds it), else its first `bytes` (to whole vec4s). */
function whole(buffer: GPUBuffer, bytes: number, maxBytes: number): Binding {
  if (bufferBytes(buffer) <= maxBytes) return buffer;
  return { buffer, offset: 0, size: Math.min(bufferBytes(buffer), Math.max(16, roundUp(bytes, 16))) };
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
