/**
 * torch.optim.Adam (amsgrad off): L2 weight decay added to the gradient, bias-corrected moments, a fused kernel
 * updating w, m and v in place (four small parameters to a dispatch where the device allows). As in PyTorch, a parameter whose grad is null is skipped and keeps
 * its own step count (bias corrections use the per-parameter count), and its moments are created on its first
 * update. Updates are recorded into the current submission: nothing is read back.
 */
import { runAdamUpdates, type AdamUpdate } from '../kernels/adam.js';
import type { Gpu } from '../runtime/gpu.js';
import { fitsShape, StateDictError, type StateDictProblems } from '../graph/modules/module.js';
import { keep } from '../graph/scope.js';
import { Tensor } from '../graph/tensor.js';
import type { WeightMap } from '../io/weight_tensor.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

interface ParamState {
  step: number;
  m: Tensor;
  v: Tensor;
}

export class Adam {
  /** Learning rate; a schedule may change it between steps. */
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private readonly params: Map<string, Tensor>;
  private readonly state = new Map<string, ParamState>();
  private steps = 0;

  /** Parameters by name (a module's namedParameters()) or a list, named "0", "1", ... */
  constructor(params: readonly Tensor[] | Map<string, Tensor>, options: AdamOptions = {}) {
    this.params = params instanceof Map ? new Map(params) : new Map(params.map((p, i) => [String(i), p]));
    this.lr = options.lr ?? 3e-4;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
    const [beta1, beta2] = this.betas;
    if (!(this.lr >= 0)) throw new RangeError(`Adam: invalid learning rate ${this.lr}`);
    if (!(this.eps >= 0)) throw new RangeError(`Adam: invalid eps ${this.eps}`);
    if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) throw new RangeError(`Adam: invalid betas [${this.betas.join(', ')}]`);
    if (!(this.weightDecay >= 0)) throw new RangeError(`Adam: invalid weightDecay ${this.weightDecay}`);
    for (const [name, p] of this.params) {
      if (!p.requiresGrad) throw new RangeError(`Adam: parameter ${name} ${p} does not require a gradient`);
    }
  }

  /** Number of step() calls. */
  get stepCount(): number {
    return this.steps;
  }

  step(): void {
    this.steps++;
    const [beta1, beta2] = this.betas;
    const hyper = { lr: this.lr, beta1, beta2, eps: this.eps, weightDecay: this.weightDecay };
    const updates: AdamUpdate[] = [];
    let gpu: Gpu | null = null;
    for (const [name, w] of this.params) {
      const dw = w.grad;
      if (!dw) continue;
      if (dw.shape.join() !== w.shape.join()) {
        throw new RangeError(`Adam: gradient ${dw} of parameter ${name} does not match its shape [${w.shape.join(', ')}]`);
      }
      const s = this.stateOf(name, w);
      s.step++;
      updates.push({ buffers: { w: w.buffer, dw: dw.buffer, m: s.m.buffer, v: s.v.buffer }, n: w.size, t: s.step });
      w.markWritten();
      gpu = w.gpu;
    }
    if (gpu) runAdamUpdates(gpu, updates, hyper);
  }

  /** Frees every gradient and sets it to null (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.params.values()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * `adam.step` (step() calls) and, for each parameter updated so far, `adam.<name>.step`, `adam.<name>.exp_avg`
   * and `adam.<name>.exp_avg_sq`, read back to the host.
   */
  async stateDict(): Promise<WeightMap> {
    const out: WeightMap = new Map();
    out.set('adam.step', { shape: [], data: Float32Array.of(this.steps) });
    for (const [name, s] of this.state) {
      out.set(`adam.${name}.step`, { shape: [], data: Float32Array.of(s.step) });
      out.set(`adam.${name}.exp_avg`, { shape: [...s.m.shape], data: await s.m.read() });
      out.set(`adam.${name}.exp_avg_sq`, { shape: [...s.v.shape], data: await s.v.read() });
    }
    return out;
  }

  /**
   * Replaces the whole state with `map` (as stateDict() writes it). Throws a StateDictError listing every missing,
   * unexpected and mis-shaped key before changing anything; a parameter may have no state at all (never updated).
   */
  loadStateDict(map: WeightMap): void {
    const problems: StateDictProblems = { missing: [], unexpected: [], misShaped: [] };
    const expected = new Map<string, number[]>([['adam.step', []]]);
    const check = (key: string, shape: number[]): void => {
      const got = map.get(key);
      if (!got) problems.missing.push({ name: key, shape });
      else if (!fitsShape(shape, got)) problems.misShaped.push({ name: key, expected: shape, got: [...got.shape] });
    };
    check('adam.step', []);
    const loaded: string[] = [];
    for (const [name, p] of this.params) {
      const keys: [string, number[]][] = [
        [`adam.${name}.step`, []],
        [`adam.${name}.exp_avg`, [...p.shape]],
        [`adam.${name}.exp_avg_sq`, [...p.shape]],
      ];
      keys.forEach(([key, shape]) => expected.set(key, shape));
      if (!keys.some(([key]) => map.has(key))) continue;
      loaded.push(name);
      for (const [key, shape] of keys) check(key, shape);
    }
    for (const [key, t] of map) if (!expected.has(key)) problems.unexpected.push({ name: key, shape: [...t.shape] });
    if (problems.missing.length + problems.unexpected.length + problems.misShaped.length > 0) {
      throw new StateDictError('Adam', problems);
    }

    const keepNames = new Set(loaded);
    for (const [name, s] of this.state) {
      if (keepNames.has(name)) continue;
      s.m.dispose();
      s.v.dispose();
      this.state.delete(name);
    }
    this.steps = map.get('adam.step')!.data[0]!;
    for (const name of loaded) {
      const s = this.stateOf(name, this.params.get(name)!);
      s.step = map.get(`adam.${name}.step`)!.data[0]!;
      s.m.write(map.get(`adam.${name}.exp_avg`)!.data);
      s.v.write(map.get(`adam.${name}.exp_avg_sq`)!.data);
    }
  }

  /** Frees the moment buffers (the parameters belong to their module). */
  dispose(): void {
    for (const s of this.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.state.clear();
  }

  private stateOf(name: string, w: Tensor): ParamState {
    let s = this.state.get(name);
    if (!s) {
      s = {
        step: 0,
        m: keep(Tensor.zeros(w.gpu, w.shape, `adam.${name}.exp_avg`)),
        v: keep(Tensor.zeros(w.gpu, w.shape, `adam.${name}.exp_avg_sq`)),
      };
      this.state.set(name, s);
    }
    return s;
  }
}
