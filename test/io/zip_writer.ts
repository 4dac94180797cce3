/**
 * Writes small zip archives for the tests: stored or deflated entries, optionally in zip64 form (every size and
 * offset in the central directory moved into zip64 extra fields, plus the zip64 end records), and with padding in
 * the local headers as torch.save adds to align its data. Checksums are left at zero: the reader does not check them.
 */
import { deflateRawSync } from 'node:zlib';

export interface ZipWriterEntry {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

export function writeZip(entries: ZipWriterEntry[], options: { zip64?: boolean; localPadding?: number } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const directory: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data, deflate } of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const stored = deflate ? new Uint8Array(deflateRawSync(data)) : data;
    const padding = options.localPadding ?? 0;
    const local = new DataView(new ArrayBuffer(30 + nameBytes.length + (padding ? 4 + padding : 0)));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(8, deflate ? 8 : 0, true);
    local.setUint32(18, stored.length, true);
    local.setUint32(22, data.length, true);
    local.setUint16(26, nameBytes.length, true);
    local.setUint16(28, padding ? 4 + padding : 0, true);
    new Uint8Array(local.buffer).set(nameBytes, 30);
    if (padding) {
      local.setUint16(30 + nameBytes.length, 0x4246, true); // torch's "FB" padding field
      local.setUint16(32 + nameBytes.length, padding, true);
    }

    const extra = options.zip64 ? 28 : 0;
    const entry = new DataView(new ArrayBuffer(46 + nameBytes.length + extra));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(10, deflate ? 8 : 0, true);
    entry.setUint32(20, options.zip64 ? 0xffffffff : stored.length, true);
    entry.setUint32(24, options.zip64 ? 0xffffffff : data.length, true);
    entry.setUint16(28, nameBytes.length, true);
    entry.setUint16(30, extra, true);
    entry.setUint32(42, options.zip64 ? 0xffffffff : offset, true);
    new Uint8Array(entry.buffer).set(nameBytes, 46);
    if (options.zip64) {
      const at = 46 + nameBytes.length;
      entry.setUint16(at, 0x0001, true);
      entry.setUint16(at + 2, 24, true);
      entry.setBigUint64(at + 4, BigInt(data.length), true); // uncompressed, compressed, local header offset
      entry.setBigUint64(at + 12, BigInt(stored.length), true);
      entry.setBigUint64(at + 20, BigInt(offset), true);
    }
    parts.push(new Uint8Array(local.buffer), stored);
    directory.push(new Uint8Array(entry.buffer));
    offset += local.byteLength + stored.length;
  }
  const directoryOffset = offset;
  const directorySize = directory.reduce((n, d) => n + d.length, 0);
  parts.push(...directory);

  if (options.zip64) {
    const record = new DataView(new ArrayBuffer(56 + 20));
    record.setUint32(0, 0x06064b50, true);
    record.setBigUint64(4, 44n, true);
    record.setBigUint64(24, BigInt(entries.length), true);
    record.setBigUint64(32, BigInt(entries.length), true);
    record.setBigUint64(40, BigInt(directorySize), true);
    record.setBigUint64(48, BigInt(directoryOffset), true);
    record.setUint32(56, 0x07064b50, true); // locator
    record.setBigUint64(64, BigInt(directoryOffset + directorySize), true);
    record.setUint32(72, 1, true);
    parts.push(new Uint8Array(record.buffer));
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, options.zip64 ? 0xffff : entries.length, true);
  end.setUint16(10, options.zip64 ? 0xffff : entries.length, true);
  end.setUint32(12, options.zip64 ? 0xffffffff : directorySize, true);
  end.setUint32(16, options.zip64 ? 0xffffffff : directoryOffset, true);
  parts.push(new Uint8Array(end.buffer));

  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}
