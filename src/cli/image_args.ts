/** Image arguments of predict and cam: files as given, folders expanded to their images (sorted, recursively). */
import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { listImageFiles } from '../data/image_folder.js';
import { DataError } from '../data/data_error.js';

export function collectImages(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new DataError(`${path}: no such file or folder`);
    if (stat.isDirectory()) {
      const found = listImageFiles(path);
      if (found.length === 0) throw new DataError(`${path}: folder holds no .png or .jpg images`);
      files.push(...found);
    } else {
      try {
        accessSync(path, constants.R_OK);
      } catch (error) {
        throw new DataError(`${path}: cannot read image (${(error as NodeJS.ErrnoException).code ?? error})`);
      }
      files.push(resolve(path));
    }
  }
  return files;
}
