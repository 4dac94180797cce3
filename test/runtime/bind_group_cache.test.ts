/**
 * BindGroupCache hands back the bind group it made for the same layout, params slot size and bindings, and makes a
 * new one whenever any of them differs: another buffer in any slot, a range at another offset or of another size, a
 * whole buffer instead of a range of it. A wrong hit would bind a dispatch to another tensor's memory, so every way
 * two lookups can differ is tried here on a stand-in device that counts what it creates.
 */
import { describe, expect, it } from 'vitest';
import { BindGroupCache } from '../../src/runtime/bind_group_cache.js';

/** Stand-ins for Dawn's objects: the cache only compares identities and reads a whole buffer's size. */
const buffer = (size: number): GPUBuffer => ({ size }) as unknown as GPUBuffer;
const layout = (): GPUBindGroupLayout => ({}) as GPUBindGroupLayout;

function countingDevice(): { device: GPUDevice; made: GPUBindGroupDescriptor[] } {
  const made: GPUBindGroupDescriptor[] = [];
  const device = {
    createBindGroup: (descriptor: GPUBindGroupDescriptor) => {
      made.push(descriptor);
      return { label: `group ${made.length}` } as GPUBindGroup;
    },
  } as unknown as GPUDevice;
  return { device, made };
}

describe('BindGroupCache', () => {
  it('reuses a group for the same bindings and makes one for each difference', () => {
    const { device, made } = countingDevice();
    const cache = new BindGroupCache(device);
    const [l1, l2] = [layout(), layout()];
    const params = buffer(65536);
    const [a, b, c] = [buffer(1024), buffer(1024), buffer(2048)]; // a and b alike but for identity
    const get = (l: GPUBindGroupLayout, size: number, bindings: Parameters<BindGroupCache['get']>[4]) =>
      cache.get('test', l, params, size, bindings);

    const first = get(l1, 64, [a, b]);
    expect(get(l1, 64, [a, b])).toBe(first);
    expect(made).toHaveLength(1);

    const differing = [
      get(l2, 64, [a, b]), // another layout
      get(l1, 80, [a, b]), // another params size
      get(l1, 64, [b, a]), // the same buffers in other slots
      get(l1, 64, [a, c]), // another buffer in the last slot
      get(l1, 64, [a, { buffer: b, offset: 0, size: 512 }]), // a range of b, not b
      get(l1, 64, [a, { buffer: b, offset: 256, size: 512 }]), // another offset
      get(l1, 64, [a, { buffer: b, offset: 256, size: 256 }]), // another size
      get(l1, 64, [a]), // fewer bindings
    ];
    expect(new Set([first, ...differing]).size).toBe(9);
    expect(made).toHaveLength(9);
    // Each is found again, and was made with the bindings asked for.
    expect(get(l1, 64, [a, { buffer: b, offset: 256, size: 512 }])).toBe(differing[5]);
    expect(get(l1, 64, [b, a])).toBe(differing[2]);
    expect(made).toHaveLength(9);
    const entries = [...(made[6]!.entries as GPUBindGroupEntry[])];
    const resources = entries.map((e) => e.resource as GPUBufferBinding);
    expect(entries.map((e) => e.binding)).toEqual([0, 1, 2]);
    expect(resources.map((r) => r.buffer)).toEqual([params, a, b]);
    expect(resources[1]!.buffer).toBe(a);
    expect(resources[2]!.buffer).toBe(b);
    expect(resources.map((r) => [r.offset, r.size])).toEqual([[0, 64], [0, 1024], [256, 512]]);
  });

  it('starts over when cleared', () => {
    const { device, made } = countingDevice();
    const cache = new BindGroupCache(device);
    const l = layout();
    const params = buffer(256);
    const a = buffer(64);
    const first = cache.get('test', l, params, 16, [a]);
    cache.clear();
    expect(cache.get('test', l, params, 16, [a])).not.toBe(first);
    expect(made).toHaveLength(2);
  });
});
