// Finding images in an ImageFolder-style tree (DIR/<class>/**/*.png|jpg|jpeg), following symbolic links the way
// torchvision does, but refusing a link that leads back into its own ancestry instead of recursing forever.
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { DataError } from './data_error.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** Whether a file name has an image extension we decode (case-insensitive). */
export function isImageFileName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/**
 * Subfolders of dir that hold images: folder name -> absolute image paths, sorted by path below the folder.
 * Hidden entries (names starting with '.') and files beside the folders are ignored; a class folder without any
 * image is an error, since it would silently become a class with no examples.
 */
export function scanClassFolders(dir: string): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const entry of listEntries(dir)) {
    const path = join(dir, entry.name);
    if (entryKind(entry, path) !== 'directory') continue;
    const files = listImageFiles(path);
    if (files.length === 0) throw new DataError(`${path}: class folder holds no .png/.jpg/.jpeg images`);
    classes.set(entry.name, files);
  }
  return classes;
}

/** Every image file under dir (recursively), absolute, sorted by their paths relative to dir. */
export function listImageFiles(dir: string): string[] {
  const files: string[] = [];
  walk(dir, new Set(), files);
  const relativePath = new Map(files.map((f) => [f, relative(dir, f)]));
  return files.sort((a, b) => compareCodeUnits(relativePath.get(a)!, relativePath.get(b)!));
}

function walk(dir: string, ancestors: Set<string>, files: string[]): void {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (e) {
    throw new DataError(`${dir}: cannot resolve folder (${describe(e)})`);
  }
  if (ancestors.has(real)) throw new DataError(`${dir}: symbolic link loop (leads back to ${real})`);
  ancestors.add(real);
  for (const entry of listEntries(dir)) {
    const path = join(dir, entry.name);
    const kind = entryKind(entry, path);
    if (kind === 'directory') walk(path, ancestors, files);
    else if (kind === 'file' && isImageFileName(entry.name)) files.push(path);
  }
  ancestors.delete(real);
}

function listEntries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.'))
      .sort((a, b) => compareCodeUnits(a.name, b.name));
  } catch (e) {
    throw new DataError(`${dir}: cannot list folder (${describe(e)})`);
  }
}

/** What an entry is, looking through symbolic links; a dangling link that names an image is an error. */
function entryKind(entry: Dirent, path: string): 'directory' | 'file' | 'other' {
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const target = statSync(path);
    return target.isDirectory() ? 'directory' : target.isFile() ? 'file' : 'other';
  } catch (e) {
    if (isImageFileName(entry.name)) throw new DataError(`${path}: unreadable (${describe(e)})`);
    return 'other';
  }
}

/** Plain code-unit order, as Python's sorted() on names, independent of the locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ?? err.message;
}
