import { describe, expect, it } from 'vitest';
import { decodeToFloat32 } from '../../src/io/dtypes.js';

describe('decodeToFloat32', () => {
  it('decodes big-endian storages (a .pth whose byteorder record says "big")', () => {
    const bytes = new Uint8Array(1 + 4 + 2 + 8);
    const view = new DataView(bytes.buffer);
    view.setFloat32(1, -1.25, false);
    view.setUint16(5, 0x3c00, false); // f16 1.0
    view.setBigInt64(7, -9n, false);
    expect(Array.from(decodeToFloat32(bytes, 1, 1, 'F32', false))).toEqual([-1.25]);
    expect(Array.from(decodeToFloat32(bytes, 5, 1, 'F16', false))).toEqual([1]);
    expect(Array.from(decodeToFloat32(bytes, 7, 1, 'I64', false))).toEqual([-9]);
    expect(bytes[1]).toBe(0xbf); // the input is left as it was
  });

  it('never returns a view of the input', () => {
    const bytes = new Uint8Array(new Float32Array([1, 2]).buffer);
    const data = decodeToFloat32(bytes, 0, 2, 'F32');
    data[0] = 5;
    expect(new Float32Array(bytes.buffer)[0]).toBe(1);
  });

  it('refuses a range outside the input, which would be a bug in its caller', () => {
    expect(() => decodeToFloat32(new Uint8Array(4), 2, 1, 'F32')).toThrow(RangeError);
  });
});
