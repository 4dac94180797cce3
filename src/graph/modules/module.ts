/**
 * The base of every layer and model: named children, parameters and buffers, a `training` flag, and state dicts
 * whose names and order are PyTorch's ("branches.0.conv.weight", "bn.running_mean", "bn.num_batches_tracked":
 * each module's parameters, then its buffers, then its children in registration order), so weights move between
 * cnnx and PyTorch unchanged.
 */
import type { Rng } from '../../data/prng.js';
import type { WeightMap } from '../../io/weight_tensor.js';
import type { Gpu } from '../../runtime/gpu.js';
import type { InitScheme } from '../init.js';
import { keep } from '../scope.js';
import { numel, Tensor, type Shape } from '../tensor.js';

/** What building a module needs: the device its tensors live on and the seeded source of its initial values. */
export interface ModuleContext {
  gpu: Gpu;
  rng: Rng;
  /** Weight init of Conv2d and Linear; 'glorot' unless set. */
  init?: InitScheme;
}

/** A module that maps one tensor to one (what Sequential chains). */
export interface Layer extends Module {
  forward(x: Tensor): Tensor;
}

/** A buffer kept as a host number (num_batches_tracked); state dicts show it as a 0-dim tensor. */
export interface HostScalar {
  get(): number;
  set(value: number): void;
}

export interface KeyShape {
  name: string;
  shape: number[];
}

export interface StateDictProblems {
  missing: KeyShape[];
  unexpected: KeyShape[];
  misShaped: { name: string; expected: number[]; got: number[] }[];
}

/** Every problem of a state dict that does not fit, listed at once. */
export class StateDictError extends Error {
  constructor(
    readonly owner: string,
    readonly problems: StateDictProblems,
  ) {
    const { missing, unexpected, misShaped } = problems;
    const lines = [`state dict does not fit ${owner}:`];
    const shape = (s: readonly number[]): string => `[${s.join(', ')}]`;
    if (missing.length > 0) lines.push(`  missing keys (${missing.length}):`, ...missing.map((k) => `    ${k.name} ${shape(k.shape)}`));
    if (unexpected.length > 0) {
      lines.push(`  unexpected keys (${unexpected.length}):`, ...unexpected.map((k) => `    ${k.name} ${shape(k.shape)}`));
    }
    if (misShaped.length > 0) {
      lines.push(
        `  mis-shaped keys (${misShaped.length}):`,
        ...misShaped.map((k) => `    ${k.name}: expected ${shape(k.expected)}, got ${shape(k.got)}`),
      );
    }
    super(lines.join('\n'));
    this.name = 'StateDictError';
  }
}

/**
 * Shapes agree, or a 0-dim entry arrives as [1] (PyTorch accepts that for old checkpoints), and the data fills
 * the shape.
 */
export function fitsShape(expected: Shape, got: { shape: readonly number[]; data: Float32Array }): boolean {
  const same = expected.join() === got.shape.join() || (expected.length === 0 && got.shape.join() === '1');
  return same && got.data.length === numel(expected);
}

/**
 * Whether a module's forward is wrapped on the instance (a layer capture, which must see the module run): a fused
 * path that would skip the module's own forward asks this first.
 */
export function forwardIsWrapped(m: Module): boolean {
  return Object.prototype.hasOwnProperty.call(m, 'forward');
}

/** A trainable tensor: requires a gradient and survives tidy() until dispose(). */
export function createParameter(gpu: Gpu, data: Float32Array, shape: Shape, label: string): Tensor {
  const tensor = keep(Tensor.fromData(gpu, data, shape, label));
  tensor.requiresGrad = true;
  return tensor;
}

/** A persistent tensor that is state, not trained (running statistics). */
export function createBuffer(gpu: Gpu, data: Float32Array, shape: Shape, label: string): Tensor {
  return keep(Tensor.fromData(gpu, data, shape, label));
}

type Entry =
  | { name: string; kind: 'parameter' | 'buffer'; tensor: Tensor }
  | { name: string; kind: 'scalar'; scalar: HostScalar };

export abstract class Module {
  /** Set by train()/eval() on the whole tree; dropout and batch norm read it. */
  training = true;
  private readonly children = new Map<string, Module>();
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor | HostScalar>();

  // ------------------------------------------------------------ registration (returns what it registers)

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.claim(name);
    this.children.set(name, module);
    return module;
  }

  protected registerParameter(name: string, tensor: Tensor): Tensor {
    this.claim(name);
    this.params.set(name, tensor);
    return tensor;
  }

  protected registerBuffer(name: string, tensor: Tensor): Tensor {
    this.claim(name);
    this.buffers.set(name, tensor);
    return tensor;
  }

  protected registerHostScalar(name: string, scalar: HostScalar): void {
    this.claim(name);
    this.buffers.set(name, scalar);
  }

  // ------------------------------------------------------------ the tree

  /** Direct children by name, in registration order. */
  namedChildren(): Map<string, Module> {
    return new Map(this.children);
  }

  /** Every trainable tensor by its dotted PyTorch name. */
  namedParameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const e of this.stateEntries('')) if (e.kind === 'parameter') out.set(e.name, e.tensor);
    return out;
  }

  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }

  /** Number of trainable values. */
  numParameters(): number {
    return this.parameters().reduce((n, t) => n + t.size, 0);
  }

  /** Running statistics by name; host scalars (num_batches_tracked) as their current value. */
  namedBuffers(): Map<string, Tensor | number> {
    const out = new Map<string, Tensor | number>();
    for (const e of this.stateEntries('')) {
      if (e.kind === 'buffer') out.set(e.name, e.tensor);
      else if (e.kind === 'scalar') out.set(e.name, e.scalar.get());
    }
    return out;
  }

  /** Sets `training` on this module and every descendant. */
  train(mode = true): this {
    this.training = mode;
    for (const child of this.children.values()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  // ------------------------------------------------------------ state dicts

  /** Parameters and buffers read back to the host, named and ordered as PyTorch's state_dict(). */
  async stateDict(): Promise<WeightMap> {
    const out: WeightMap = new Map();
    for (const e of this.stateEntries('')) {
      if (e.kind === 'scalar') out.set(e.name, { shape: [], data: Float32Array.of(e.scalar.get()) });
      else out.set(e.name, { shape: [...e.tensor.shape], data: await e.tensor.read() });
    }
    return out;
  }

  /**
   * Writes every entry into the existing tensors (so optimizers keep their references). Throws a StateDictError
   * listing every missing, unexpected and mis-shaped key before anything is written; mis-shaped keys are errors
   * even with strict false, as in PyTorch. Returns the keys a non-strict load skipped.
   */
  loadStateDict(map: WeightMap, options: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const strict = options.strict ?? true;
    const entries = this.stateEntries('');
    const known = new Set(entries.map((e) => e.name));
    const problems: StateDictProblems = { missing: [], unexpected: [], misShaped: [] };
    for (const e of entries) {
      const expected = e.kind === 'scalar' ? [] : [...e.tensor.shape];
      const got = map.get(e.name);
      if (!got) problems.missing.push({ name: e.name, shape: expected });
      else if (!fitsShape(expected, got)) problems.misShaped.push({ name: e.name, expected, got: [...got.shape] });
    }
    for (const [name, t] of map) if (!known.has(name)) problems.unexpected.push({ name, shape: [...t.shape] });
    const misfits = problems.misShaped.length > 0 || (strict && problems.missing.length + problems.unexpected.length > 0);
    if (misfits) throw new StateDictError(this.constructor.name, problems);

    for (const e of entries) {
      const got = map.get(e.name);
      if (!got) continue;
      if (e.kind === 'scalar') e.scalar.set(got.data[0]!);
      else e.tensor.write(got.data);
    }
    return { missing: problems.missing.map((k) => k.name), unexpected: problems.unexpected.map((k) => k.name) };
  }

  /** Frees every parameter (with its gradient) and buffer of the tree, and what its modules keep derived from them. */
  dispose(): void {
    for (const e of this.stateEntries('')) if (e.kind !== 'scalar') e.tensor.dispose();
    this.releaseDerived();
  }

  /** Frees what this module keeps derived from its state (a batch norm's eval stats rows), then its children's. */
  protected releaseDerived(): void {
    for (const child of this.children.values()) child.releaseDerived();
  }

  // ------------------------------------------------------------ internals

  private stateEntries(prefix: string): Entry[] {
    const out: Entry[] = [];
    for (const [name, tensor] of this.params) out.push({ name: prefix + name, kind: 'parameter', tensor });
    for (const [name, value] of this.buffers) {
      if (value instanceof Tensor) out.push({ name: prefix + name, kind: 'buffer', tensor: value });
      else out.push({ name: prefix + name, kind: 'scalar', scalar: value });
    }
    for (const [name, child] of this.children) out.push(...child.stateEntries(`${prefix}${name}.`));
    return out;
  }

  private claim(name: string): void {
    if (name === '' || name.includes('.')) throw new RangeError(`${this.constructor.name}: invalid member name "${name}"`);
    if (this.children.has(name) || this.params.has(name) || this.buffers.has(name)) {
      throw new RangeError(`${this.constructor.name}: "${name}" is already registered`);
    }
  }
}
