/**
 * Reads a zip archive held in memory through its central directory (zip64 included), as a .pth checkpoint is one.
 * Stored entries come back as views of the input, without copying; deflated ones are inflated.
 * Entry checksums are not verified: PyTorch can write archives without them (compute_crc32 = False).
 */
import { CorruptDeflateError, inflateRaw } from './inflate.js';
import { WeightFileError } from './weight_file_error.js';

export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflated; anything else is refused when the entry is read. */
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipArchive {
  /** Entries in central-directory order. */
  entries: Map<string, ZipEntry>;
  read(name: string): Uint8Array;
}

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA_FIELD = 0x0001;
const IN_ZIP64_FIELD = 0xffffffff;

export function openZip(bytes: Uint8Array, source: string): ZipArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (detail: string) => new WeightFileError(source, `zip archive: ${detail}`);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => {
    const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
    if (!Number.isSafeInteger(value)) throw fail(`64-bit field at byte ${at} is too large`);
    return value;
  };
  const need = (at: number, length: number, what: string) => {
    if (at < 0 || at + length > bytes.length) throw fail(`${what} at byte ${at} runs past the end of the ${bytes.length}-byte file`);
  };

  const end = findEndOfDirectory(bytes, view);
  if (end < 0) throw fail('no end-of-central-directory record (not a zip archive, or truncated)');
  let entryCount = u16(end + 10);
  let directorySize = u32(end + 12);
  let directoryOffset = u32(end + 16);
  let spanned = u16(end + 4) !== 0 || u16(end + 6) !== 0;
  if (end >= 20 && u32(end - 20) === ZIP64_LOCATOR) {
    const record = u64(end - 20 + 8);
    need(record, 56, 'zip64 end-of-central-directory record');
    if (u32(record) !== ZIP64_END_OF_DIRECTORY) throw fail(`no zip64 end-of-central-directory record at byte ${record}`);
    spanned = u32(record + 16) !== 0 || u32(record + 20) !== 0;
    entryCount = u64(record + 32);
    directorySize = u64(record + 40);
    directoryOffset = u64(record + 48);
  }
  if (spanned) throw fail('archives spanning several disks are not supported');
  need(directoryOffset, directorySize, 'central directory');

  const entries = new Map<string, ZipEntry>();
  const names = new TextDecoder('utf-8');
  for (let i = 0, at = directoryOffset; i < entryCount; i++) {
    need(at, 46, 'central directory entry');
    if (u32(at) !== DIRECTORY_ENTRY) throw fail(`central directory entry ${i} at byte ${at} has a bad signature`);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const commentLength = u16(at + 32);
    need(at + 46, nameLength + extraLength + commentLength, 'central directory entry');
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    let localHeaderOffset = u32(at + 42);
    // A zip64 extra field holds, in this order, the 64-bit value of each field saturated at 0xffffffff.
    for (let field = at + 46 + nameLength, fieldsEnd = field + extraLength; field + 4 <= fieldsEnd; ) {
      const id = u16(field);
      const fieldLength = u16(field + 2);
      let value = field + 4;
      const next = value + fieldLength;
      if (next > fieldsEnd) throw fail(`entry "${name}": extra field runs past its entry`);
      if (id === ZIP64_EXTRA_FIELD) {
        const take = () => {
          if (value + 8 > next) throw fail(`entry "${name}": zip64 extra field is too short`);
          value += 8;
          return u64(value - 8);
        };
        if (size === IN_ZIP64_FIELD) size = take();
        if (compressedSize === IN_ZIP64_FIELD) compressedSize = take();
        if (localHeaderOffset === IN_ZIP64_FIELD) localHeaderOffset = take();
      }
      field = next;
    }
    if (entries.has(name)) throw fail(`entry "${name}" appears twice`);
    entries.set(name, { name, method: u16(at + 10), flags: u16(at + 8), compressedSize, size, localHeaderOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }

  const read = (name: string): Uint8Array => {
    const entry = entries.get(name);
    if (!entry) throw fail(`no entry "${name}"`);
    if (entry.flags & 1) throw fail(`entry "${name}" is encrypted`);
    const local = entry.localHeaderOffset;
    need(local, 30, `local header of "${name}"`);
    if (u32(local) !== LOCAL_HEADER) throw fail(`entry "${name}": bad local header signature at byte ${local}`);
    const start = local + 30 + u16(local + 26) + u16(local + 28);
    need(start, entry.compressedSize, `data of "${name}"`);
    const stored = bytes.subarray(start, start + entry.compressedSize);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) throw fail(`stored entry "${name}" has compressed size ${entry.compressedSize} but size ${entry.size}`);
      return stored;
    }
    if (entry.method !== 8) throw fail(`entry "${name}" uses compression method ${entry.method}; only stored and deflate are supported`);
    // DEFLATE cannot expand more than 1032:1; a larger declared size is corruption, not a reason to allocate it.
    if (entry.size > entry.compressedSize * 1032 + 8) throw fail(`entry "${name}" declares ${entry.size} bytes from ${entry.compressedSize} compressed`);
    try {
      return inflateRaw(stored, entry.size);
    } catch (e) {
      if (e instanceof CorruptDeflateError) throw fail(`entry "${name}": corrupt deflate data: ${e.message}`);
      throw e;
    }
  };

  return { entries, read };
}

/** The end record is the last 22 bytes plus a comment of up to 65535 bytes whose length it states. */
function findEndOfDirectory(bytes: Uint8Array, view: DataView): number {
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--) {
    if (view.getUint32(at, true) === END_OF_DIRECTORY && at + 22 + view.getUint16(at + 20, true) === bytes.length) return at;
  }
  return -1;
}
