/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors), following the reference
 * implementation's validation: an 8-byte little-endian header length N (at most 100 MB), N bytes of UTF-8 JSON
 * starting with '{', then a data region that the tensors' data_offsets tile exactly, with no gap and no overlap.
 */
import { DTYPE_SIZES, decodeToFloat32, hostIsLittleEndian, isDType, type DType } from './dtypes.js';
import { WeightFileError } from './weight_file_error.js';
import { numelOf, type WeightTensor } from './weight_tensor.js';

export { WeightFileError } from './weight_file_error.js';

/** The reference implementation's limit, which keeps a corrupt length field from allocating gigabytes. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  dtype: DType;
  shape: number[];
  /** Byte range relative to the start of the data region, i.e. the byte after the header. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in the order the header lists them. */
  entries: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** File offset of the data region: 8 + N. */
  dataStart: number;
}

export interface SafetensorsTensor extends WeightTensor {
  /** The dtype stored in the file; `data` holds it widened to f32. */
  dtype: DType;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

/** Parses a whole file held in memory. Each tensor is decoded straight from `bytes`, one copy per tensor. */
export function parseSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  const header = readSafetensorsHeader(bytes, bytes.length, source);
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, { dtype, shape, begin }] of header.entries) {
    const data = decodeToFloat32(bytes, header.dataStart + begin, numelOf(shape), dtype);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * The file offset where the data region starts (8 + N), from the file's first 8 bytes. A reader of large files
 * calls this, reads that many bytes, calls readSafetensorsHeader, then reads each tensor's range on its own.
 */
export function safetensorsDataStart(first8: Uint8Array, fileLength: number, source: string): number {
  if (first8.length < 8 || fileLength < 8) {
    throw new WeightFileError(source, `file is ${fileLength} bytes, too short for the 8-byte header length of a safetensors file`);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new WeightFileError(source, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (8 + headerLength > fileLength) {
    throw new WeightFileError(source, `header length ${headerLength} runs past the end of the ${fileLength}-byte file`);
  }
  return 8 + headerLength;
}

/** Validates the header; `prefix` holds at least the file's first safetensorsDataStart(...) bytes. */
export function readSafetensorsHeader(prefix: Uint8Array, fileLength: number, source: string): SafetensorsHeader {
  const dataStart = safetensorsDataStart(prefix, fileLength, source);
  if (prefix.length < dataStart) throw new RangeError(`readSafetensorsHeader: need the first ${dataStart} bytes, got ${prefix.length}`);
  const text = decodeHeaderText(prefix.subarray(8, dataStart), source);
  const json = parseHeaderJson(text, source);
  const dataLength = fileLength - dataStart;

  const entries = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const key of topLevelKeysInOrder(text, source)) {
    if (key === '__metadata__') metadata = checkMetadata(json[key], source);
    else entries.set(key, checkEntry(key, json[key], dataLength, source));
  }
  checkTiling(entries, dataLength, source);
  return { entries, metadata, dataStart };
}

function decodeHeaderText(headerBytes: Uint8Array, source: string): string {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so it fails the '{' check as it does in the reference.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new WeightFileError(source, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new WeightFileError(source, `header does not start with '{' (got ${JSON.stringify(text.slice(0, 16))})`);
  return text;
}

function parseHeaderJson(text: string, source: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new WeightFileError(source, `header is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * The header's top-level keys in file order, refusing a key repeated in any object. JSON.parse would silently keep
 * the last duplicate (and lists integer-like keys first), so this walks the already-validated text itself.
 */
function topLevelKeysInOrder(text: string, source: string): string[] {
  const topLevel: string[] = [];
  const open: (Set<string> | null)[] = []; // one entry per enclosing '{' (its keys) or '[' (null)
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') open.push(new Set());
    else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      let next = end + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      if (keys && text[next] === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) {
          throw new WeightFileError(
            source,
            open.length === 1 ? `duplicate tensor name ${JSON.stringify(key)} in the header` : `duplicate key ${JSON.stringify(key)} in the header`,
          );
        }
        keys.add(key);
        if (open.length === 1) topLevel.push(key);
      }
      i = end;
    }
  }
  return topLevel;
}

function checkMetadata(value: unknown, source: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WeightFileError(source, '"__metadata__" must be an object mapping strings to strings');
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new WeightFileError(source, `"__metadata__" must map strings to strings, but ${JSON.stringify(key)} holds ${JSON.stringify(v)}`);
    }
  }
  return value as Record<string, string>;
}

function checkEntry(name: string, value: unknown, dataLength: number, source: string): SafetensorsEntry {
  const fail = (detail: string) => new WeightFileError(source, `tensor ${JSON.stringify(name)}: ${detail}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('entry must be an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !isDType(dtype)) {
    throw fail(`unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_SIZES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw fail(`data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const needed = numelOf(shape) * DTYPE_SIZES[dtype];
  if (end - begin !== needed) {
    throw fail(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${shape.join(', ')}] x ${dtype} needs ${needed}`);
  }
  if (end > dataLength) throw fail(`data_offsets [${begin}, ${end}] run past the end of the ${dataLength}-byte data region`);
  return { dtype, shape, begin, end };
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/** Sorted by begin, the tensors must cover the data region contiguously from 0 to its end. */
function checkTiling(entries: Map<string, SafetensorsEntry>, dataLength: number, source: string): void {
  const sorted = [...entries].sort(([, a], [, b]) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const [name, { begin, end }] of sorted) {
    if (begin < covered) {
      throw new WeightFileError(source, `tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] overlap tensor ${JSON.stringify(previous)}, which ends at ${covered}`);
    }
    if (begin > covered) {
      throw new WeightFileError(source, `tensor ${JSON.stringify(name)}: data_offsets [${begin}, ${end}] leave bytes ${covered}..${begin} of the data region unused`);
    }
    covered = end;
    previous = name;
  }
  if (covered !== dataLength) {
    throw new WeightFileError(source, `the tensors cover ${covered} bytes but the data region holds ${dataLength}: ${dataLength - covered} trailing bytes belong to no tensor`);
  }
}

/**
 * Writes F32 tensors in the given order, with `metadata` (if any) first in the header. The header is padded with
 * spaces to a multiple of 8 bytes, as the reference implementation does, so the data region is 8-byte aligned.
 */
export function serializeSafetensors(
  tensors: Iterable<readonly [string, WeightTensor]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const fields: string[] = metadata ? [`"__metadata__":${JSON.stringify(metadata)}`] : [];
  const list = [...tensors];
  const names = new Set<string>();
  let dataLength = 0;
  for (const [name, { shape, data }] of list) {
    if (name === '__metadata__' || names.has(name)) throw new Error(`serializeSafetensors: tensor name ${JSON.stringify(name)} is reserved or repeated`);
    if (numelOf(shape) !== data.length) {
      throw new Error(`serializeSafetensors: tensor ${JSON.stringify(name)} has shape [${shape.join(', ')}] but ${data.length} values`);
    }
    names.add(name);
    fields.push(`${JSON.stringify(name)}:{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[${dataLength},${dataLength + data.byteLength}]}`);
    dataLength += data.byteLength;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + dataLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, { data }] of list) {
    if (hostIsLittleEndian) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    else data.forEach((x, i) => view.setFloat32(at + 4 * i, x, true));
    at += data.byteLength;
  }
  return out;
}
