/**
 * Channel slots for the pooling kernels' `slot` argument: a tensor placed at channels [offset, offset + C) of a
 * wider [N, cy, ...] one, the other channels holding a marker, and the slice read back out.
 */
import type { ChannelSlot } from '../../src/kernels/pool_geometry.js';

/** [N, C, ...inner] data inside [N, slot.cy, ...inner], every other element `marker`. */
export function embedChannels(data: ArrayLike<number>, shape: readonly number[], slot: ChannelSlot,
  marker: number): Float32Array {
  const [n, c] = [shape[0]!, shape[1]!];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const out = new Float32Array(n * slot.cy * inner).fill(marker);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const [to, from] = [(b * slot.cy + slot.offset + ch) * inner, (b * c + ch) * inner];
      for (let i = 0; i < inner; i++) out[to + i] = data[from + i]!;
    }
  }
  return out;
}

/** The [N, C, ...inner] slice at slot.offset of wide [N, slot.cy, ...inner] data, and the elements outside it. */
export function splitChannels(wide: ArrayLike<number>, shape: readonly number[], slot: ChannelSlot):
  { slice: Float32Array; outside: number[] } {
  const [n, c] = [shape[0]!, shape[1]!];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const slice = new Float32Array(n * c * inner);
  const outside: number[] = [];
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < slot.cy; ch++) {
      for (let i = 0; i < inner; i++) {
        const v = wide[(b * slot.cy + ch) * inner + i]!;
        if (ch >= slot.offset && ch < slot.offset + c) slice[(b * c + ch - slot.offset) * inner + i] = v;
        else outside.push(v);
      }
    }
  }
  return { slice, outside };
}
