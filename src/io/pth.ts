/**
 * Reads PyTorch state dicts as `torch.save(model.state_dict(), path)` writes them: the zip format (PyTorch 1.6 and
 * later: `<name>/data.pkl`, one `<name>/data/<key>` record per storage) and the legacy stream format before it (five
 * pickles: magic number, protocol, system info, the state dict, the storage keys; then each storage as an 8-byte
 * little-endian element count and its raw little-endian bytes).
 *
 * The pickle may name only the globals below. Tensors are rebuilt here, honouring storage offsets and strides, and
 * widened to contiguous f32.
 */
import { DTYPE_SIZES, decodeToFloat32, type DType } from './dtypes.js';
import { unpickle, type AllowedGlobal } from './pickle.js';
import { WeightFileError } from './weight_file_error.js';
import { numelOf, type WeightMap, type WeightTensor } from './weight_tensor.js';
import { openZip } from './zip.js';

/** The legacy format's first pickle. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** torch's storage classes, named in each storage's persistent id, and the element type each holds. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** Checkpoint keys under which training scripts commonly nest the state dict, in order of preference. */
const STATE_DICT_WRAPPERS = ['state_dict', 'model_state_dict', 'model'];

/**
 * A tensor broadcast with stride 0 may have more elements than its storage; beyond this many it is refused rather
 * than allocated, so a corrupt size cannot exhaust memory.
 */
const MAX_EXPANDED_NUMEL = 2 ** 28;

class StorageType implements AllowedGlobal {
  constructor(
    readonly qualifiedName: string,
    readonly dtype: DType,
  ) {}
}

class Storage {
  /** Raw bytes; the legacy format only supplies them after the state dict's pickle. */
  bytes?: Uint8Array;
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    readonly littleEndian: boolean,
  ) {}
}

/** What torch._utils._rebuild_tensor_v2 describes: a strided view of a storage, materialised once its bytes are known. */
class StridedTensor {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** A file's state dict: tensors by name, unwrapped from a checkpoint dict where one clearly holds it. */
export function parsePth(bytes: Uint8Array, source: string): WeightMap {
  if (isZipArchive(bytes)) return stateDictOf(readZipFormat(bytes, source), source);
  if (bytes[0] === 0x80) return stateDictOf(readLegacyFormat(bytes, source), source);
  throw new WeightFileError(source, 'not a PyTorch checkpoint: neither a zip archive nor a pickle');
}

export function isZipArchive(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04; // "PK\x03\x04"
}

function readZipFormat(bytes: Uint8Array, source: string): unknown {
  const archive = openZip(bytes, source);
  const pickleName = [...archive.entries.keys()].find((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (!pickleName) throw new WeightFileError(source, 'not a PyTorch checkpoint: the zip archive has no <name>/data.pkl');
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  // Since PyTorch 2.1 a `byteorder` record says how storages are stored; older files are little-endian.
  const byteOrderName = `${prefix}byteorder`;
  const byteOrder = archive.entries.has(byteOrderName) ? new TextDecoder().decode(archive.read(byteOrderName)) : 'little';
  if (byteOrder !== 'little' && byteOrder !== 'big') throw new WeightFileError(source, `unknown byte order ${JSON.stringify(byteOrder)}`);

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    const { key, dtype, numel } = storageId(pid, 5, source);
    const known = sameStorage(storages.get(key), dtype, source);
    if (known) return known;
    const storage = new Storage(key, dtype, numel, byteOrder === 'little');
    storage.bytes = archive.read(`${prefix}data/${key}`);
    if (storage.bytes.length !== numel * DTYPE_SIZES[dtype]) {
      throw new WeightFileError(source, `storage "${key}" holds ${storage.bytes.length} bytes but ${numel} x ${dtype} needs ${numel * DTYPE_SIZES[dtype]}`);
    }
    storages.set(key, storage);
    return storage;
  };
  return unpickle(archive.read(pickleName), 0, source, { label: pickleName, globals: torchGlobals(source), persistentLoad }).value;
}

function readLegacyFormat(bytes: Uint8Array, source: string): unknown {
  const plain = (label: string, start: number) => unpickle(bytes, start, source, { label, globals: new Map() });
  const magic = plain('magic number', 0);
  if (magic.value !== LEGACY_MAGIC) throw new WeightFileError(source, "not a PyTorch checkpoint: the first pickle is not torch's magic number");
  const protocol = plain('protocol version', magic.end);
  if (protocol.value !== LEGACY_PROTOCOL) throw new WeightFileError(source, `unsupported legacy protocol version ${String(protocol.value)}`);
  // The system info (byte order, C type sizes) does not matter: legacy storages are little-endian on every machine.
  const systemInfo = plain('system info', protocol.end);

  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    const { key, dtype, numel } = storageId(pid, 6, source);
    const known = sameStorage(storages.get(key), dtype, source);
    if (known) return known;
    const storage = new Storage(key, dtype, numel, true);
    storages.set(key, storage);
    return storage;
  };
  const stateDict = unpickle(bytes, systemInfo.end, source, { label: 'state dict pickle', globals: torchGlobals(source), persistentLoad });

  const keys = plain('storage key list', stateDict.end);
  if (!Array.isArray(keys.value) || !keys.value.every((key) => typeof key === 'string')) {
    throw new WeightFileError(source, 'the storage key list is not a list of strings');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = keys.end;
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new WeightFileError(source, `the storage key list names "${key}", which no tensor uses`);
    if (at + 8 > bytes.length) throw new WeightFileError(source, `file ends before storage "${key}"`);
    const numel = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
    if (numel !== storage.numel) throw new WeightFileError(source, `storage "${key}" holds ${numel} elements but the state dict says ${storage.numel}`);
    const length = numel * DTYPE_SIZES[storage.dtype];
    if (at + 8 + length > bytes.length) throw new WeightFileError(source, `storage "${key}" runs past the end of the ${bytes.length}-byte file`);
    storage.bytes = bytes.subarray(at + 8, at + 8 + length);
    at += 8 + length;
  }
  return stateDict.value;
}

/** The globals a state dict may name, each rebuilt here without running Python. */
function torchGlobals(source: string): Map<string, AllowedGlobal> {
  const fail = (detail: string) => new WeightFileError(source, detail);
  const globals: AllowedGlobal[] = [
    {
      qualifiedName: 'collections.OrderedDict',
      call: (args) => {
        if (args.length === 0) return new Map();
        const [pairs] = args;
        if (args.length !== 1 || !Array.isArray(pairs) || !pairs.every((pair) => Array.isArray(pair) && pair.length === 2)) {
          throw fail('OrderedDict takes a list of (key, value) pairs');
        }
        return new Map(pairs as [unknown, unknown][]);
      },
    },
    {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      qualifiedName: 'torch._utils._rebuild_tensor_v2',
      call: ([storage, offset, size, stride]) => {
        if (!(storage instanceof Storage)) throw fail('_rebuild_tensor_v2 expects a storage');
        if (!isCount(offset) || !isCountList(size) || !isCountList(stride) || size.length !== stride.length) {
          throw fail('_rebuild_tensor_v2 expects an offset and equally long size and stride tuples of non-negative integers');
        }
        return new StridedTensor(storage, offset, [...size], [...stride]);
      },
    },
    {
      // (data, requires_grad, backward_hooks): a Parameter is its data here.
      qualifiedName: 'torch._utils._rebuild_parameter',
      call: ([data]) => {
        if (!(data instanceof StridedTensor)) throw fail('_rebuild_parameter expects a tensor');
        return data;
      },
    },
    ...Object.entries(STORAGE_DTYPES).map(([name, dtype]) => new StorageType(`torch.${name}`, dtype)),
  ];
  return new Map(globals.map((global) => [global.qualifiedName, global]));
}

/** A storage's persistent id: ('storage', storage type, key, location, numel), plus view metadata in legacy files. */
function storageId(pid: unknown, length: 5 | 6, source: string): { key: string; dtype: DType; numel: number } {
  const fail = (detail: string) => new WeightFileError(source, `bad storage reference: ${detail}`);
  if (!Array.isArray(pid) || pid.length !== length || pid[0] !== 'storage') throw fail(`expected a ${length}-tuple starting with 'storage'`);
  const [, type, key, , numel] = pid;
  if (!(type instanceof StorageType)) throw fail('unknown storage type');
  if (typeof key !== 'string' || !isCount(numel)) throw fail('expected a string key and an element count');
  // Views of storages (view metadata) were only written by PyTorch versions before 1.0.
  if (length === 6 && pid[5] !== null) throw fail(`storage "${key}" is a view of another storage, which is not supported`);
  return { key, dtype: type.dtype, numel };
}

function sameStorage(known: Storage | undefined, dtype: DType, source: string): Storage | undefined {
  if (known && known.dtype !== dtype) throw new WeightFileError(source, `storage "${known.key}" is used as both ${known.dtype} and ${dtype}`);
  return known;
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function isCountList(x: unknown): x is number[] {
  return Array.isArray(x) && x.every(isCount);
}

/**
 * Finds the state dict in the unpickled object: descends through checkpoint dicts such as
 * {"epoch": 3, "state_dict": {...}} while no tensor sits at the current level and a single nested dict (or a
 * conventionally named one) holds tensors, then flattens what remains, joining nested keys with ".".
 */
function stateDictOf(root: unknown, source: string): WeightMap {
  if (!(root instanceof Map)) throw new WeightFileError(source, `expected a dict of tensors (a state_dict), found ${describe(root)}`);
  let dict: Map<unknown, unknown> = root;
  const visited = new Set<unknown>([root]);
  while (![...dict.values()].some((value) => value instanceof StridedTensor)) {
    const holders = [...dict].filter(([, value]) => holdsTensor(value, new Set()));
    const chosen =
      holders.length === 1
        ? holders[0]
        : STATE_DICT_WRAPPERS.map((name) => holders.find(([key]) => key === name)).find((holder) => holder !== undefined);
    if (!chosen || visited.has(chosen[1])) break;
    dict = chosen[1] as Map<unknown, unknown>;
    visited.add(dict);
  }
  const weights: WeightMap = new Map();
  flatten(dict, '', weights, new Set(), source);
  if (weights.size === 0) throw new WeightFileError(source, 'holds no tensors');
  return weights;
}

/** `ancestors` guards against cyclic dicts, which a pickle's memo can build. */
function holdsTensor(value: unknown, ancestors: Set<unknown>): boolean {
  if (value instanceof StridedTensor) return true;
  if (!(value instanceof Map) || ancestors.has(value)) return false;
  ancestors.add(value);
  const found = [...value.values()].some((child) => holdsTensor(child, ancestors));
  ancestors.delete(value);
  return found;
}

/** Non-tensor entries (version counters, extra state, hyper-parameters) are not weights and are skipped. */
function flatten(dict: Map<unknown, unknown>, prefix: string, out: WeightMap, ancestors: Set<unknown>, source: string): void {
  if (ancestors.has(dict)) return;
  ancestors.add(dict);
  for (const [key, value] of dict) {
    if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'bigint') continue;
    const name = prefix + String(key);
    if (value instanceof Map) flatten(value, `${name}.`, out, ancestors, source);
    else if (value instanceof StridedTensor) {
      if (out.has(name)) throw new WeightFileError(source, `tensor name "${name}" occurs twice after flattening nested dicts`);
      out.set(name, materialise(name, value, source));
    }
  }
  ancestors.delete(dict);
}

/** Copies a strided view of its storage into a new contiguous (row-major) f32 array. */
function materialise(name: string, { storage, offset, size, stride }: StridedTensor, source: string): WeightTensor {
  const fail = (detail: string) => new WeightFileError(source, `tensor "${name}": ${detail}`);
  const numel = numelOf(size);
  // A tensor saved under two names (tied weights) reaches here twice; each result gets its own arrays.
  const shape = [...size];
  if (numel === 0) return { shape, data: new Float32Array(0) };
  const last = size.reduce((end, n, d) => end + (n - 1) * stride[d], offset);
  if (last >= storage.numel) {
    throw fail(`size [${size.join(', ')}] with stride [${stride.join(', ')}] from offset ${offset} reaches element ${last} of a ${storage.numel}-element storage`);
  }
  if (numel > storage.numel && numel > MAX_EXPANDED_NUMEL) throw fail(`${numel} elements broadcast from a ${storage.numel}-element storage is too many`);
  if (!storage.bytes) throw fail(`its storage "${storage.key}" has no data in the file`);

  const elementSize = DTYPE_SIZES[storage.dtype];
  const span = decodeToFloat32(storage.bytes, offset * elementSize, last - offset + 1, storage.dtype, storage.littleEndian);
  if (isRowMajor(size, stride)) return { shape, data: span };
  // Walk the elements in row-major order, stepping through the span by the strides like an odometer.
  const data = new Float32Array(numel);
  const index = new Array<number>(size.length).fill(0);
  for (let i = 0, from = 0; i < numel; i++) {
    data[i] = span[from];
    for (let d = size.length - 1; d >= 0; d--) {
      from += stride[d];
      if (++index[d] < size[d]) break;
      from -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return { shape, data };
}

/** Whether the strides are those of a contiguous row-major layout; a dimension of size 1 may have any stride. */
function isRowMajor(size: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) return false;
    expected *= size[d];
  }
  return true;
}

function describe(value: unknown): string {
  if (value instanceof StridedTensor) return 'a single tensor';
  if (Array.isArray(value)) return 'a list or tuple';
  return value === null ? 'None' : `a ${typeof value}`;
}
