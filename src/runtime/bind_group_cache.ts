/**
 * Bind groups reused across dispatches. A training step binds the same pooled buffers at the same ranges step after
 * step, so creating a bind group per dispatch (a large share of a dispatch's host cost) is mostly repeated work. The
 * params slot is bound with a dynamic offset, so a bind group names only the arena buffer, not the slot. A lookup walks
 * a tree of Maps keyed by the layout, the params buffer and its size, then each binding's buffer (and a range's offset
 * and size): no key is built, so a hit costs a few Map reads a binding (a string key of ids took ~1.5 us a dispatch of
 * 8 bindings on a 2-core AMD EPYC). A destroyed buffer's entries can never be hit again (the pool never hands that
 * object out again) and are dropped when the cache is cleared at its size cap.
 */
import { bufferBytes, isRange } from './binding_bytes.js';
import type { Binding } from './gpu.js';

const MAX_ENTRIES = 8192;
/** The key under which a whole buffer's binding continues (a range continues under its offset, then its size). */
const WHOLE = Symbol('whole buffer');
/** The key under which the last binding's level keeps its bind group. */
const GROUP = Symbol('bind group');

type Level = Map<unknown, unknown>;

export class BindGroupCache {
  private root: Level = new Map();
  private entries = 0;

  constructor(private readonly device: GPUDevice) {}

  /** `bindings` in the layout's order from @binding(1): whole buffers, or ranges of them. */
  get(
    label: string,
    layout: GPUBindGroupLayout,
    params: GPUBuffer,
    paramsSize: number,
    bindings: readonly Binding[],
  ): GPUBindGroup {
    if (this.entries >= MAX_ENTRIES) this.clear();
    let level = step(step(step(this.root, layout), params), paramsSize);
    for (let i = 0; i < bindings.length; i++) {
      const b = bindings[i]!;
      level = isRange(b) ? step(step(step(level, b.buffer), b.offset), b.size) : step(step(level, b), WHOLE);
    }
    let group = level.get(GROUP) as GPUBindGroup | undefined;
    if (!group) {
      group = this.device.createBindGroup({
        label,
        layout,
        entries: [
          { binding: 0, resource: { buffer: params, offset: 0, size: paramsSize } },
          ...bindings.map((b, i) => {
            const resource = isRange(b) ? b : { buffer: b, offset: 0, size: bufferBytes(b) };
            return { binding: i + 1, resource };
          }),
        ],
      });
      level.set(GROUP, group);
      this.entries++;
    }
    return group;
  }

  clear(): void {
    this.root = new Map();
    this.entries = 0;
  }
}

/** The level under `key`, made if new. */
function step(level: Level, key: unknown): Level {
  let next = level.get(key) as Level | undefined;
  if (!next) level.set(key, (next = new Map()));
  return next;
}
