/**
 * Runs the built CLI (`node bin/cnnx.js`, compiled by `tsc -p .` before vitest in `npm test`) as a child process,
 * and checks how it ended: exit code, a message naming what is at fault, and no stack trace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Checkpoint } from '../../src/train/checkpoint.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr without Dawn's start-up warnings about dynamic buffer limits, which are not ours. */
  stderr: string;
}

export interface CliOptions {
  /** Run as this user and group (only possible as root): how the tests see permission errors root would bypass. */
  uid?: number;
  gid?: number;
  /** Called once the process is started, e.g. to kill it. */
  started?: (child: ChildProcess) => void;
  /** Extra environment. Tuned kernel choices are off unless a test sets CNNX_KERNEL_CHOICES (the user's cache stays out). */
  env?: Record<string, string>;
}

export function startCli(args: readonly string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [join(REPO, 'bin/cnnx.js'), ...args], {
    cwd: REPO,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', CNNX_DEBUG: '', CNNX_KERNEL_CHOICES: 'off', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliResult>((resolveResult, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolveResult({
        code,
        signal,
        stdout,
        stderr: stderr
          .split('\n')
          .filter((line) => !/^Warning: maxDynamic\w+ artificially reduced/.test(line))
          .join('\n'),
      }),
    );
  });
  return { child, done };
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/**
 * The command failed as a known error should: this exit code, every `mentions` string (a path, flag or key) in
 * the message, no stack frame, and no "--verbose" hint (that is only for unexpected errors).
 */
export function expectRefused(result: CliResult, code: 1 | 2, mentions: readonly (string | RegExp)[]): void {
  const context = `stderr:\n${result.stderr}\nstdout:\n${result.stdout}`;
  expect(result.code, context).toBe(code);
  expect(result.stderr, context).toMatch(/^cnnx: /m);
  for (const m of mentions) {
    if (typeof m === 'string') expect(result.stderr, context).toContain(m);
    else expect(result.stderr, context).toMatch(m);
  }
  expect(result.stderr, context).not.toMatch(/^\s+at /m);
  expect(result.stderr, context).not.toContain('--verbose');
}

/** Every file under dir (relative path -> sha256), to show that a failed command changed nothing. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) {
        out.set(path.slice(dir.length), `link to ${readlinkSync(path)}`);
      } else if (stat.isDirectory()) {
        out.set(`${path.slice(dir.length)}/`, 'folder');
        walk(path);
      } else {
        out.set(path.slice(dir.length), createHash('sha256').update(readFileSync(path)).digest('hex'));
      }
    }
  };
  walk(dir);
  return out;
}

/** True when this process runs as root, where file modes do not stop reads or writes. */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The unprivileged user the tests become, as root, to see permission errors. */
export const NOBODY = 65534;

/** Same tensor names, shapes and float32 bit patterns (NaN payloads and signed zeros included). */
export function expectSameTensors(got: Checkpoint, want: Checkpoint): void {
  for (const part of ['model', 'optimizer'] as const) {
    expect([...got[part].keys()]).toEqual([...want[part].keys()]);
    for (const [name, t] of want[part]) {
      const u = got[part].get(name)!;
      expect(u.shape, name).toEqual(t.shape);
      const bitsWant = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
      const bitsGot = new Uint32Array(u.data.buffer, u.data.byteOffset, u.data.length);
      const first = bitsWant.findIndex((bits, i) => bits !== bitsGot[i]);
      expect(first, `${part} ${name}: first difference at ${first}: ${u.data[first]} instead of ${t.data[first]}`).toBe(-1);
    }
  }
}
