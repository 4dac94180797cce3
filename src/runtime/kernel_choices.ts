/**
 * Kernel variants measured fastest on one adapter, by kernel pass and shape: what `cnnx tune` writes (see
 * src/bench/tune.ts) and a Gpu consults before its built-in heuristics. The heuristics were tuned on two devices
 * (lavapipe and an H100); on any other GPU the winner of a shape can differ, and measuring is the only way to know.
 * An entry is only a preference: a kernel ignores a variant that does not handle the shape, so a stale or hand-edited
 * table can make a run slower but never wrong.
 * While `collecting`, kernels also record the shapes they are asked to run, which is how tuning learns a model's
 * shapes.
 */
import type { DeviceInfo } from './gpu.js';

export const KERNEL_CHOICES_FORMAT = 'cnnx-kernel-choices';
const VERSION = 1;

/** What names an adapter: a table measured on one applies to that one only. */
export type AdapterIdentity = Pick<DeviceInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'backend'>;

export interface KernelChoicesJson {
  format: typeof KERNEL_CHOICES_FORMAT;
  version: number;
  adapter: AdapterIdentity;
  /** ISO date of the last tuning run that wrote entries. */
  measured: string;
  /** Key (kernel pass and shape, as the kernel spells it) -> variant. */
  choices: Record<string, string>;
}

export class KernelChoiceError extends Error {
  override name = 'KernelChoiceError';
}

export class KernelChoices {
  private readonly table = new Map<string, string>();
  /** Shapes looked up while collecting: key -> what the kernel said it was asked to run. */
  readonly asked = new Map<string, unknown>();
  collecting = false;

  constructor(readonly adapter: AdapterIdentity, entries: Iterable<readonly [string, string]> = []) {
    for (const [key, variant] of entries) this.table.set(key, variant);
  }

  get size(): number {
    return this.table.size;
  }

  /** Whether a kernel needs to build its key at all (keys cost a string per dispatch). */
  get active(): boolean {
    return this.collecting || this.table.size > 0;
  }

  /** The tuned variant for `key`, if any. */
  lookup(key: string): string | undefined {
    return this.table.get(key);
  }

  /** Remembers the first shape asked for under `key` (kernels call it while `collecting`). */
  record(key: string, shape: unknown): void {
    if (!this.asked.has(key)) this.asked.set(key, shape);
  }

  set(key: string, variant: string): void {
    this.table.set(key, variant);
  }

  entries(): [string, string][] {
    return [...this.table.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  matches(adapter: AdapterIdentity): boolean {
    return sameAdapter(this.adapter, adapter);
  }

  toJSON(measured: Date = new Date()): KernelChoicesJson {
    return {
      format: KERNEL_CHOICES_FORMAT,
      version: VERSION,
      adapter: { ...this.adapter },
      measured: measured.toISOString(),
      choices: Object.fromEntries(this.entries()),
    };
  }

  /** Parses a table read from `source` (a file name, for the error), naming the field at fault. */
  static fromJSON(json: unknown, source: string): KernelChoices {
    const fail = (what: string): never => {
      throw new KernelChoiceError(`${source}: ${what}`);
    };
    if (typeof json !== 'object' || json === null) return fail('not a JSON object');
    const o = json as Record<string, unknown>;
    if (o.format !== KERNEL_CHOICES_FORMAT) return fail(`"format" is ${JSON.stringify(o.format)}, expected "${KERNEL_CHOICES_FORMAT}"`);
    if (o.version !== VERSION) return fail(`"version" is ${JSON.stringify(o.version)}; this cnnx reads version ${VERSION}`);
    const a = o.adapter as Record<string, unknown> | undefined;
    const fields = ['vendor', 'architecture', 'device', 'description', 'backend'] as const;
    if (typeof a !== 'object' || a === null) return fail('"adapter" is missing');
    for (const f of fields) if (typeof a[f] !== 'string') fail(`"adapter.${f}" is not a string`);
    if (typeof o.choices !== 'object' || o.choices === null) return fail('"choices" is not an object');
    const entries = Object.entries(o.choices as Record<string, unknown>).map(([key, variant]): [string, string] => {
      if (typeof variant !== 'string' || variant === '') fail(`choice "${key}" is ${JSON.stringify(variant)}, not a variant name`);
      return [key, variant as string];
    });
    return new KernelChoices(Object.fromEntries(fields.map((f) => [f, a[f] as string])) as AdapterIdentity, entries);
  }
}

export function adapterIdentity(info: DeviceInfo): AdapterIdentity {
  const { vendor, architecture, device, description, backend } = info;
  return { vendor, architecture, device, description, backend };
}

export function sameAdapter(a: AdapterIdentity, b: AdapterIdentity): boolean {
  return a.vendor === b.vendor && a.architecture === b.architecture && a.device === b.device &&
    a.description === b.description && a.backend === b.backend;
}

/** A file name for the adapter's table: readable, and different for adapters that differ in any field. */
export function adapterFileName(a: AdapterIdentity): string {
  const text = [a.vendor, a.architecture, a.device, a.description, a.backend].filter((s) => s !== '').join('-');
  const readable = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80) || 'adapter';
  return `${readable}-${hash(JSON.stringify(a))}.json`;
}

/** FNV-1a, 32 bits, as 8 hex digits: tells apart adapters whose readable names collapse to the same text. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
