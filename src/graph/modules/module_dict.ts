/** ModuleDict: children under chosen names, in insertion order, without a forward (as torch.nn.ModuleDict). */
import { Module } from './module.js';

export class ModuleDict<M extends Module = Module> extends Module {
  private readonly items = new Map<string, M>();

  constructor(modules: Iterable<readonly [string, M]> | Record<string, M> = []) {
    super();
    const pairs = Symbol.iterator in modules ? modules : Object.entries(modules);
    for (const [name, m] of pairs as Iterable<readonly [string, M]>) this.set(name, m);
  }

  set(name: string, module: M): M {
    this.items.set(name, this.registerModule(name, module));
    return module;
  }

  get(name: string): M {
    const m = this.items.get(name);
    if (!m) throw new RangeError(`ModuleDict: no module "${name}" (has ${[...this.items.keys()].join(', ') || 'none'})`);
    return m;
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  entries(): IterableIterator<[string, M]> {
    return this.items.entries();
  }
}
