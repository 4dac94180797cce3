import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandIncludes } from '../../src/runtime/wgsl_includes.js';

const SHADERS = join(import.meta.dirname, '../../shaders');

describe('expandIncludes', () => {
  const files: Record<string, string> = {
    'a/main': 'struct Params { c: u32 }\n//!include lib/one\n//!include lib/two\nfn main() {}\n',
    'lib/one': '// one\n//!include lib/base\nfn one() -> u32 { return base(); }\n',
    'lib/two': '//!include lib/base\nfn two() {}\n',
    'lib/base': 'fn base() -> u32 { return 1u; }\n',
  };
  const load = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw new Error(`no shader ${path}`);
    return text;
  };

  it('pastes included files in place, nested ones too, each once', () => {
    const code = expandIncludes(load('a/main'), load);
    expect(code).toBe(
      'struct Params { c: u32 }\n// one\nfn base() -> u32 { return 1u; }\nfn one() -> u32 { return base(); }\n' +
        '// lib/base: included above\nfn two() {}\nfn main() {}\n',
    );
  });

  it('leaves text without include lines alone, and reports a missing file', () => {
    expect(expandIncludes('fn f() {} // //!include x', load)).toBe('fn f() {} // //!include x');
    expect(() => expandIncludes('//!include lib/none', load)).toThrow('no shader lib/none');
  });

  it('finds every file the shaders include', () => {
    const shaders = readdirSync(SHADERS, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wgsl'));
    const included = shaders.flatMap((f) => [...readFileSync(join(SHADERS, f), 'utf8').matchAll(/^\/\/!include\s+(\S+)/gm)].map((m) => m[1]!));
    expect(included.length).toBeGreaterThan(20);
    for (const path of new Set(included)) expect(existsSync(join(SHADERS, `${path}.wgsl`)), path).toBe(true);
  });
});
