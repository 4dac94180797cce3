/**
 * Reads the PyTorch reference fixtures written by test/reference/<op>.py: per case, its attrs and its tensors
 * by role (x, w, y, dy, dx, ...).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSafetensors } from '../../src/io/safetensors.js';

export interface RefTensor {
  shape: number[];
  data: Float32Array;
}

export interface RefCase {
  name: string;
  attrs: Record<string, unknown>;
  t: (role: string) => RefTensor;
  has: (role: string) => boolean;
}

export function loadCases(op: string): RefCase[] {
  const path = fileURLToPath(new URL(`../fixtures/${op}.safetensors`, import.meta.url));
  const file = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  const cases = JSON.parse(file.metadata.cases ?? '[]') as { name: string; attrs: Record<string, unknown> }[];
  return cases.map(({ name, attrs }) => ({
    name,
    attrs,
    has: (role) => file.tensors.has(`${name}.${role}`),
    t: (role) => {
      const tensor = file.tensors.get(`${name}.${role}`);
      if (!tensor) throw new Error(`${path}: case ${name} has no tensor "${role}"`);
      return { shape: [...tensor.shape], data: tensor.data };
    },
  }));
}
