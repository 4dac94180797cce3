/** ModuleList: children "0", "1", ... without a forward of their own (parallel branches), as torch.nn.ModuleList. */
import { Module } from './module.js';

export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(module: M): M {
    this.items.push(this.registerModule(String(this.items.length), module));
    return module;
  }

  at(index: number): M {
    const m = this.items[index];
    if (!m) throw new RangeError(`ModuleList: no module at index ${index} of ${this.items.length}`);
    return m;
  }

  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}
