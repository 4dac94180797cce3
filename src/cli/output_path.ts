/** Checks, before hours of training, that an output file can be written: its folder exists (or is made) and takes a file. */
import { closeSync, mkdirSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.js';

export function ensureWritable(path: string, flag: string): string {
  const full = resolve(path);
  try {
    if (statSync(full, { throwIfNoEntry: false })?.isDirectory()) {
      throw new UsageError(`${flag} ${path}: is a folder, expected a file name`);
    }
    mkdirSync(dirname(full), { recursive: true });
    const probe = `${full}.probe-${process.pid}`;
    closeSync(openSync(probe, 'w'));
    rmSync(probe);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${flag} ${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return full;
}

export function ensureFolder(path: string, flag: string): string {
  const full = resolve(path);
  try {
    mkdirSync(full, { recursive: true });
    const probe = `${full}/.probe-${process.pid}`;
    closeSync(openSync(probe, 'w'));
    rmSync(probe);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot write into this folder (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return full;
}
