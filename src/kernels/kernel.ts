/**
 * The descriptor every kernel is written as: which shader, which buffers in which order, which uniform Params
 * fields, and what workgroup size. One pipeline serves every shape: shapes travel in Params, and only what changes
 * the code (the shader text and its override constants) keys the pipeline cache.
 */

export type ParamType = 'u32' | 'i32' | 'f32';
export type Access = 'read' | 'read_write';

export interface BindingSpec {
  /** Role of the buffer, named as in the shader: x, w, b, y, dy, dx, dw, db, m, v, ... */
  readonly name: string;
  readonly access: Access;
}

export interface KernelSpec<P extends string = string> {
  /** `<op>.<pass>`, e.g. 'conv2d.forward'; labels every GPU object the kernel creates. */
  readonly name: string;
  /** Path under shaders/ without extension, e.g. 'conv2d/forward'. */
  readonly shader: string;
  /** Storage buffers at @binding(1), @binding(2), ... in this order; @binding(0) is always `var<uniform> p: Params`. */
  readonly bindings: readonly BindingSpec[];
  /** Fields of `struct Params`, in declaration order (each 4 bytes). */
  readonly params: readonly (readonly [P, ParamType])[];
  /** Passed to the shader as the override constants WG_X, WG_Y, WG_Z (those it declares). */
  readonly workgroupSize: readonly [number, number, number];
  /** Workgroups to dispatch for these Params; `maxPerDim` is the device's maxComputeWorkgroupsPerDimension. */
  readonly grid: (params: ParamValues<P>, maxPerDim: number) => readonly [number, number, number];
  /** Other override constants that specialise the code (tile sizes, fusion flags); part of the cache key. */
  readonly constants?: Readonly<Record<string, number>>;
}

export function defineKernel<P extends string>(spec: KernelSpec<P>): KernelSpec<P> {
  return spec;
}

export type ParamValues<P extends string> = Readonly<Record<P, number>>;

/** Writes Params into `view` at `offset` as the WGSL struct lays them out (all fields are 4-byte scalars). */
export function packParams<P extends string>(
  spec: KernelSpec<P>,
  values: ParamValues<P>,
  view: DataView,
  offset: number,
): void {
  // A plain loop: this runs for every dispatch, and forEach's closure showed in host profiles of a training step.
  const fields = spec.params;
  for (let i = 0; i < fields.length; i++) {
    const [field, type] = fields[i]!;
    const value = values[field];
    if (typeof value !== 'number' || Number.isNaN(value) && type !== 'f32') {
      throw new TypeError(`${spec.name}: Params.${field} is ${String(value)}, expected a number`);
    }
    const at = offset + 4 * i;
    if (type === 'f32') view.setFloat32(at, value, true);
    else if (type === 'i32') view.setInt32(at, value, true);
    else {
      if (value < 0 || !Number.isInteger(value)) {
        throw new RangeError(`${spec.name}: Params.${field} = ${value} is not a non-negative integer`);
      }
      view.setUint32(at, value, true);
    }
  }
}

/** Bytes Params occupies in the uniform buffer (uniform structs round up to 16). */
export function paramsSize(spec: KernelSpec): number {
  return Math.max(16, Math.ceil((spec.params.length * 4) / 16) * 16);
}

/**
 * Workgroup counts for `groups` workgroups laid out as x * y, since one dimension allows at most `maxPerDim`
 * (65,535 on most devices). Shaders recover the linear index as wid.x + wid.y * num_workgroups.x.
 */
export function linearGrid(groups: number, maxPerDim: number): [number, number, number] {
  if (groups <= maxPerDim) return [Math.max(1, groups), 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * One spec per combination of numeric arguments (pipeline constants: tile sizes, fusion flags), made on first use.
 */
export function memoize<A extends number[], S extends KernelSpec>(make: (...args: A) => S): (...args: A) => S {
  // A tree of Maps, one level per argument: looked up on every dispatch, where a joined string key cost more.
  const root = new Map<number, unknown>();
  return (...args) => {
    let node = root;
    for (let i = 0; i < args.length - 1; i++) {
      let next = node.get(args[i]!) as Map<number, unknown> | undefined;
      if (!next) node.set(args[i]!, (next = new Map()));
      node = next;
    }
    const last = args[args.length - 1]!;
    let spec = node.get(last) as S | undefined;
    if (!spec) node.set(last, (spec = make(...args)));
    return spec;
  };
}
