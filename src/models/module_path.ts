/** Submodules by their PyTorch module path ("layer4", "features.denseblock4", "Mixed_7c.branch_pool"). */
import type { Module } from '../graph/modules/module.js';

/** Walks namedChildren() along a dotted path; '' is the model itself. Throws naming the children it could take. */
export function findModule(root: Module, path: string): Module {
  let module = root;
  let walked = '';
  for (const part of path === '' ? [] : path.split('.')) {
    const children = module.namedChildren();
    const next = children.get(part);
    if (!next) {
      const where = walked === '' ? root.constructor.name : `"${walked}"`;
      const names = [...children.keys()];
      throw new RangeError(
        `no module "${path}": ${where} has no child "${part}" (children: ${names.length > 0 ? names.join(', ') : 'none'})`,
      );
    }
    module = next;
    walked = walked === '' ? part : `${walked}.${part}`;
  }
  return module;
}

/** Every module path of the tree in registration order, depth first ('' for the root excluded). */
export function modulePaths(root: Module, prefix = ''): string[] {
  const out: string[] = [];
  for (const [name, child] of root.namedChildren()) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    out.push(path, ...modulePaths(child, path));
  }
  return out;
}
