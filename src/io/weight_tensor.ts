/** A tensor read from a weight file: row-major (contiguous) values widened to f32, whatever the stored dtype. */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/** Tensors by name, in the order the file lists them. */
export type WeightMap = Map<string, WeightTensor>;

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
