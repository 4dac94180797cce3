/**
 * Bind groups reused across dispatches. A training step binds the same pooled buffers at the same ranges step after
 * step, so creating a bind group per dispatch (a large share of a dispatch's host cost) is mostly repeated work. The
 * params slot is bound with a dynamic offset, so a bind group names only the arena buffer, not the slot. Keys use
 * layout and buffer identities; a destroyed buffer's entries can never be hit again (the pool never hands that object out
 * again) and are dropped when the cache is cleared at its size cap.
 */
import { bufferBytes, isRange } from './binding_bytes.js';
import type { Binding } from './gpu.js';

const MAX_ENTRIES = 8192;

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer | GPUBindGroupLayout, number>();
  private nextId = 1;

  constructor(private readonly device: GPUDevice) {}

  /** `bindings` in the layout's order from @binding(1): whole buffers, or ranges of them. */
  get(
    label: string,
    layout: GPUBindGroupLayout,
    params: GPUBuffer,
    paramsSize: number,
    bindings: readonly Binding[],
  ): GPUBindGroup {
    // A whole buffer is keyed (and bound) as its range from 0, as a range covering it would be.
    let key = `${this.id(layout)}|${this.id(params)}:${paramsSize}`;
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i]!;
      key += isRange(b) ? `|${this.id(b.buffer)}:${b.offset}:${b.size}` : `|${this.id(b)}:0:${bufferBytes(b)}`;
    }
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= MAX_ENTRIES) this.groups.clear();
      group = this.device.createBindGroup({
        label,
        layout,
        entries: [
          { binding: 0, resource: { buffer: params, offset: 0, size: paramsSize } },
          ...bindings.map((b, i) => ({ binding: i + 1, resource: isRange(b) ? b : { buffer: b, offset: 0, size: bufferBytes(b) } })),
        ],
      });
      this.groups.set(key, group);
    }
    return group;
  }

  clear(): void {
    this.groups.clear();
  }

  private id(object: GPUBuffer | GPUBindGroupLayout): number {
    let id = this.ids.get(object);
    if (id === undefined) this.ids.set(object, (id = this.nextId++));
    return id;
  }
}
