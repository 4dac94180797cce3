/**
 * Checks, before hours of work, that an output file or folder can be written, without creating anything: a
 * command that then fails on bad input leaves no trace. The path must not be the wrong kind of thing, and its
 * nearest existing ancestor must be a folder that takes a new file (probed with a uniquely named file that is
 * removed at once). Missing folders are made by the writer when it first writes (ensureParentFolder).
 */
import { closeSync, mkdirSync, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from './errors.js';

/** The absolute path of an output file that can be written (an existing regular file is replaced). */
export function checkWritableFile(path: string, flag: string): string {
  const full = resolve(path);
  const stat = statIfAny(full, flag);
  if (stat?.isDirectory()) throw new UsageError(`${flag} ${path}: is a folder, expected a file name`);
  if (stat && !stat.isFile()) throw new UsageError(`${flag} ${path}: is not a regular file`);
  probeFolder(dirname(full), path, flag);
  return full;
}

/** The absolute path of an output folder that exists and takes files, or can be made. */
export function checkWritableFolder(path: string, flag: string): string {
  const full = resolve(path);
  const stat = statIfAny(full, flag);
  if (stat && !stat.isDirectory()) throw new UsageError(`${flag} ${path}: is a file, expected a folder`);
  probeFolder(full, path, flag);
  return full;
}

/** Makes the folder that will hold `file` (and its missing ancestors). */
export function ensureParentFolder(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
}

/** Creates and removes a file in the nearest existing folder on the way up from `dir`. */
function probeFolder(dir: string, given: string, flag: string): void {
  let existing = dir;
  while (!statIfAny(existing, flag)) existing = dirname(existing);
  if (!statSync(existing).isDirectory()) {
    throw new UsageError(`${flag} ${given}: cannot be written, ${existing} is a file, not a folder`);
  }
  const probe = join(existing, `.cnnx-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`${flag} ${given}: cannot be written, ${existing} does not take new files (${code})`);
  }
  rmSync(probe, { force: true });
}

/** The path's stat, or undefined where there is nothing (also when an ancestor is a file: ENOTDIR). */
function statIfAny(path: string, flag: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`${flag} ${path}: cannot be examined (${code ?? error})`);
  }
}
