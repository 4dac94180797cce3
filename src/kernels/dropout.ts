/**
 * dropout: applies the mask of (seed, p) to a tensor, x in the forward pass and dy in the backward pass. Tensors over
 * one binding go in element slices; each passes its first element's index so the mask is the unsliced one.
 */
import type { Gpu } from '../runtime/gpu.js';
import { forEachElementSlice } from './batch_slices.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';
import { defineKernel, type KernelSpec } from './kernel.js';

type DropoutParam = 'n' | 'seed' | 'threshold' | 'scale' | 'base';

function applyMask(pass: 'forward' | 'backward', input: string, output: string): KernelSpec<DropoutParam> {
  return defineKernel({
    name: `dropout.${pass}`,
    shader: 'dropout/apply_mask',
    bindings: [
      { name: input, access: 'read' },
      { name: output, access: 'read_write' },
    ],
    params: [['n', 'u32'], ['seed', 'u32'], ['threshold', 'u32'], ['scale', 'f32'], ['base', 'u32']],
    workgroupSize: [ELEMENTWISE_WG, 1, 1],
    grid: elementwiseGrid,
  });
}

export const dropoutForward = applyMask('forward', 'x', 'y');
export const dropoutBackward = applyMask('backward', 'dy', 'dx');

export interface DropoutMask {
  /** Probability of dropping an element, in [0, 1]. */
  p: number;
  /** Any integer in [0, 2^32): the same seed gives the same mask. */
  seed: number;
}

function maskParams(n: number, base: number, mask: DropoutMask): Record<DropoutParam, number> {
  return {
    n,
    seed: mask.seed,
    threshold: Math.min(0xffffffff, Math.round(mask.p * 2 ** 32)),
    scale: mask.p < 1 ? 1 / (1 - mask.p) : 0,
    base,
  };
}

function applyInSlices(gpu: Gpu, spec: KernelSpec<DropoutParam>, src: GPUBuffer, dst: GPUBuffer, n: number,
  mask: DropoutMask): void {
  forEachElementSlice(gpu, n, [src, dst], (start, count, bindings) =>
    gpu.run(spec, maskParams(count, start, mask), bindings));
}

/** y = x * mask / (1 - p). */
export function runDropoutForward(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, n: number, mask: DropoutMask): void {
  applyInSlices(gpu, dropoutForward, x, y, n, mask);
}

/** dx = dy * mask / (1 - p), with the mask of the forward pass recomputed from its seed. */
export function runDropoutBackward(gpu: Gpu, dy: GPUBuffer, dx: GPUBuffer, n: number, mask: DropoutMask): void {
  applyInSlices(gpu, dropoutBackward, dy, dx, n, mask);
}
