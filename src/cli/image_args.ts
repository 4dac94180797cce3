/** Image arguments of predict and cam: files as given, folders expanded to their images (sorted, recursively). */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { listImageFiles } from '../data/image_folder.js';
import { UsageError } from './errors.js';

export function collectImages(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new UsageError(`${path}: no such file or folder`);
    if (stat.isDirectory()) {
      const found = listImageFiles(path);
      if (found.length === 0) throw new UsageError(`${path}: folder holds no .png or .jpg images`);
      files.push(...found);
    } else {
      files.push(resolve(path));
    }
  }
  return files;
}
