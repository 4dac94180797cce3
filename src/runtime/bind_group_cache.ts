/**
 * Bind groups reused across dispatches. A training step binds the same pooled buffers at the same ranges step after
 * step, so creating a bind group per dispatch (a large share of a dispatch's host cost) is mostly repeated work. The
 * params slot is bound with a dynamic offset, so a bind group names only the arena buffer, not the slot. Keys use
 * layout and buffer identities; a destroyed buffer's entries can never be hit again (the pool never hands that object out
 * again) and are dropped when the cache is cleared at its size cap.
 */
const MAX_ENTRIES = 8192;

export class BindGroupCache {
  private readonly groups = new Map<string, GPUBindGroup>();
  private readonly ids = new WeakMap<GPUBuffer | GPUBindGroupLayout, number>();
  private nextId = 1;

  constructor(private readonly device: GPUDevice) {}

  get(
    label: string,
    layout: GPUBindGroupLayout,
    params: { buffer: GPUBuffer; size: number },
    ranges: readonly { buffer: GPUBuffer; offset: number; size: number }[],
  ): GPUBindGroup {
    let key = `${this.id(layout)}|${this.id(params.buffer)}:${params.size}`;
    for (const r of ranges) key += `|${this.id(r.buffer)}:${r.offset}:${r.size}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= MAX_ENTRIES) this.groups.clear();
      group = this.device.createBindGroup({
        label,
        layout,
        entries: [
          { binding: 0, resource: { buffer: params.buffer, offset: 0, size: params.size } },
          ...ranges.map((resource, i) => ({ binding: i + 1, resource })),
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
