/** cam_upsample: bilinear resizing of maps with F.interpolate(mode='bilinear', align_corners=False) semantics. */
import type { Gpu } from '../runtime/gpu.js';
import { defineKernel } from './kernel.js';
import { ELEMENTWISE_WG, elementwiseGrid } from './elementwise.js';

export const camUpsampleBilinear = defineKernel({
  name: 'cam.upsample_bilinear',
  shader: 'cam/upsample_bilinear',
  bindings: [
    { name: 'x', access: 'read' },
    { name: 'y', access: 'read_write' },
  ],
  params: [['count', 'u32'], ['inH', 'u32'], ['inW', 'u32'], ['outH', 'u32'], ['outW', 'u32'], ['xOffset', 'u32']],
  workgroupSize: [ELEMENTWISE_WG, 1, 1],
  grid: (p, maxPerDim) => elementwiseGrid({ n: p.count * p.outH * p.outW }, maxPerDim),
});

export interface UpsampleShape {
  /** Maps to resize. */
  count: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  /** Maps to skip at the start of x (to resize one map of a batch). */
  first?: number;
}

/** y [count, outH, outW] from the maps x [first .. first + count) of [*, inH, inW]. */
export function runCamUpsample(gpu: Gpu, x: GPUBuffer, y: GPUBuffer, s: UpsampleShape): void {
  for (const [name, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < (name === 'first' ? 0 : 1)) throw new RangeError(`cam.upsample_bilinear: ${name} = ${v}`);
  }
  const { count, inH, inW, outH, outW } = s;
  gpu.run(camUpsampleBilinear, { count, inH, inW, outH, outW, xOffset: (s.first ?? 0) * inH * inW }, [x, y]);
}
