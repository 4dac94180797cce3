/**
 * One entry point for weight files: sniffs safetensors or a PyTorch checkpoint and returns tensors by name.
 * Tensor names are reported as the file spells them ("module." prefixes included); mapping them is the caller's job.
 */
import { isZipArchive, parsePth } from './pth.js';
import { parseSafetensors } from './safetensors.js';
import type { WeightMap } from './weight_tensor.js';

export type WeightFormat = 'safetensors' | 'pth';

export interface WeightFile {
  format: WeightFormat;
  tensors: WeightMap;
  /** safetensors' "__metadata__"; empty for a .pth. */
  metadata: Record<string, string>;
}

export function readWeights(bytes: Uint8Array, source: string): WeightFile {
  if (isZipArchive(bytes) || isLegacyPickle(bytes)) return { format: 'pth', tensors: parsePth(bytes, source), metadata: {} };
  const { tensors, metadata } = parseSafetensors(bytes, source);
  return { format: 'safetensors', tensors, metadata };
}

/**
 * A legacy .pth starts with the PROTO opcode 0x80. So does a safetensors file whose header length has 0x80 as its
 * low byte, but its header then opens with '{' at byte 8, where a legacy file has torch's magic number.
 */
function isLegacyPickle(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && bytes[8] !== 0x7b;
}
