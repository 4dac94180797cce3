/**
 * The images a CAM run reads, with what their place in a folder tells: the true label (a class folder, also under
 * train/, test/ or val/), the lung mask (same relative name under the masks folder, as `cnnx data synth` writes
 * them: DATA/masks/test/covid/0000.png for DATA/test/covid/0000.png) and the overlay's output name.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { canonicalClassName } from '../../data/class_names.js';
import { DataError } from '../../data/data_error.js';
import { listImageFiles } from '../../data/image_folder.js';

export interface CamSource {
  /** Absolute path of the image. */
  file: string;
  /** Path below the folder argument it came from (a file argument: its name). */
  relative: string;
  /** Index into the model's classes, when a folder on the way names one; else null. */
  label: number | null;
  /** Absolute path of its lung mask, when a masks folder was given. */
  mask: string | null;
  /** Overlay file name below the output folder: the relative path with a .png extension. */
  output: string;
}

export interface SourceOptions {
  /** The model's classes, for labels read off folder names (aliases such as "COVID-19" match "covid"). */
  classNames: readonly string[];
  /** Folder of lung masks; images inside it (or, without it, in a folder argument's masks/) are never inputs. */
  masks?: string;
}

/** Files and folders (searched recursively, sorted) as CAM inputs; throws naming a path that does not fit. */
export function collectCamSources(paths: readonly string[], options: SourceOptions): CamSource[] {
  const masks = options.masks ? resolve(options.masks) : undefined;
  if (masks && !statSync(masks, { throwIfNoEntry: false })?.isDirectory()) {
    throw new DataError(`--masks ${options.masks}: no such folder`);
  }
  const sources: CamSource[] = [];
  const outputs = new Map<string, string>();
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) throw new DataError(`${path}: no such file or folder`);
    const root = stat.isDirectory() ? resolve(path) : dirname(resolve(path));
    // The masks folder is never an input, given or not (`cnnx data synth` writes DATA/masks/ beside train/ and test/).
    const skip = masks ?? join(root, 'masks');
    const files = (stat.isDirectory() ? listImageFiles(root) : [resolve(path)]).filter((f) => !isInside(f, skip));
    if (files.length === 0) throw new DataError(`${path}: folder holds no .png or .jpg images${masks ? ' outside --masks' : ''}`);
    for (const file of files) {
      const rel = relative(root, file);
      const output = rel.slice(0, rel.length - extname(rel).length) + '.png';
      const other = outputs.get(output);
      if (other !== undefined && other !== file) {
        throw new DataError(`${other} and ${file} would both write ${output}; pass them in separate runs`);
      }
      if (other === file) continue;
      outputs.set(output, file);
      sources.push({
        file,
        relative: rel,
        label: labelOf(root, rel, options.classNames),
        mask: masks ? findMask(file, root, rel, masks) : null,
        output,
      });
    }
  }
  return sources;
}

/** The class named by the deepest folder from the root's own name down to the image's folder, if any. */
export function labelOf(root: string, rel: string, classNames: readonly string[]): number | null {
  const folders = [basename(root), ...dirname(rel).split(sep).filter((p) => p !== '.' && p !== '')];
  const keys = classNames.map((name) => canonicalClassName(name) ?? name);
  for (let i = folders.length - 1; i >= 0; i--) {
    const key = canonicalClassName(folders[i]!) ?? folders[i]!;
    const label = keys.indexOf(key);
    if (label >= 0) return label;
  }
  return null;
}

function findMask(file: string, root: string, rel: string, masks: string): string {
  const candidates = [join(masks, rel)];
  const dataRoot = dirname(masks);
  if (isInside(file, dataRoot)) candidates.push(join(masks, relative(dataRoot, file)));
  const withPng = candidates.map((c) => c.slice(0, c.length - extname(c).length) + '.png');
  const tried = [...new Set([...candidates, ...withPng])];
  const found = tried.find((c) => existsSync(c));
  if (!found) throw new DataError(`${file}: no lung mask found (looked for ${tried.join(', ')}; root ${root})`);
  return found;
}

function isInside(file: string, folder: string): boolean {
  const rel = relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
