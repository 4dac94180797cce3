/**
 * WGSL has no include: shaders that share helper functions name them with a line `//!include <path>` (a comment to
 * WGSL), which is replaced by the text of shaders/<path>.wgsl before the module is compiled. Included files may
 * include others; each is pasted once per shader. An included file says in its header which Params fields,
 * bindings and override constants the including shader must declare, since it uses them by name.
 */
const INCLUDE = /^\/\/!include[ \t]+(\S+)[ \t]*$/gm;

export function expandIncludes(code: string, load: (path: string) => string, seen: Set<string> = new Set()): string {
  return code.replace(INCLUDE, (_line, path: string) => {
    if (seen.has(path)) return `// ${path}: included above`;
    seen.add(path);
    return expandIncludes(load(path).trimEnd(), load, seen);
  });
}
