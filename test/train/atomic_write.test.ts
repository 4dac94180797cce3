/** writeFileAtomic leaves the old file or the new one, never a torn one or a stray temporary file. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeStaleTemporaries, writeFileAtomic } from '../../src/train/atomic_write.js';

const root = mkdtempSync(join(tmpdir(), 'cnnx-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temporary file', () => {
    const path = join(root, 'a.safetensors');
    writeFileSync(path, 'old');
    writeFileAtomic(path, new TextEncoder().encode('new'));
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(root).filter((n) => n.startsWith('a.safetensors'))).toEqual(['a.safetensors']);
  });

  it('on failure leaves what was there and removes its temporary file', () => {
    const path = join(root, 'b.safetensors');
    mkdirSync(path); // rename cannot replace a non-empty folder
    writeFileSync(join(path, 'keep'), 'x');
    expect(() => writeFileAtomic(path, new Uint8Array(8))).toThrow();
    expect(readFileSync(join(path, 'keep'), 'utf8')).toBe('x');
    expect(readdirSync(root).filter((n) => n.startsWith('b.safetensors'))).toEqual(['b.safetensors']);
  });
});

describe('removeStaleTemporaries', () => {
  it('removes the temporary files of writers that are gone, and nothing else', () => {
    const path = join(root, 'c.safetensors');
    writeFileSync(path, 'checkpoint');
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid names no process now
    const stale = `c.safetensors.tmp-${gone}`;
    const ours = `c.safetensors.tmp-${process.pid}`;
    for (const name of [stale, ours, 'd.safetensors.tmp-1', 'c.safetensors.tmp-notapid']) writeFileSync(join(root, name), 'partial');
    expect(removeStaleTemporaries(path)).toEqual([stale]);
    expect(existsSync(join(root, stale))).toBe(false);
    for (const name of ['c.safetensors', ours, 'd.safetensors.tmp-1', 'c.safetensors.tmp-notapid']) expect(existsSync(join(root, name)), name).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('checkpoint');
  });
});
