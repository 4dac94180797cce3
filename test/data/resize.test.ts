import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../src/data/resize.js';
import { expectClose } from '../helpers/compare.js';

interface Plane {
  height: number;
  width: number;
  data: number[];
}

// Written by test/fixtures/data/make_resize_reference.py with PyTorch's F.interpolate.
const reference = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/data/resize_reference.json', import.meta.url)), 'utf8'),
) as { cases: { input: Plane; output: Plane }[] };

describe('resizeBilinear', () => {
  for (const { input, output } of reference.cases) {
    it(`matches F.interpolate(bilinear, align_corners=False) from ${input.height}x${input.width} to ${output.height}x${output.width}`, () => {
      const image = { height: input.height, width: input.width, data: Float32Array.from(input.data) };
      const got = resizeBilinear(image, output.height, output.width);
      expect(got).toMatchObject({ height: output.height, width: output.width });
      expectClose('resize', got.data, output.data, [1, 1, output.height, output.width], { rel: 1e-6, atol: 1e-4, rtol: 1e-6 });
    });
  }

  it('returns an image already at the size as is', () => {
    const image = { height: 2, width: 3, data: new Float32Array(6) };
    expect(resizeBilinear(image, 2, 3)).toBe(image);
  });

  it('keeps a constant image constant', () => {
    const image = { height: 5, width: 7, data: new Float32Array(35).fill(99.5) };
    const got = resizeBilinear(image, 13, 4);
    for (const v of got.data) expect(v).toBeCloseTo(99.5, 4);
  });

  it('refuses a non-positive or fractional size', () => {
    const image = { height: 2, width: 2, data: new Float32Array(4) };
    expect(() => resizeBilinear(image, 0, 2)).toThrow(RangeError);
    expect(() => resizeBilinear(image, 2, 1.5)).toThrow(RangeError);
  });
});
