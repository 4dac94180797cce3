// COVIDx-style split files: one image per line, "patient_id filename label source" (the source column may be
// absent, as in early COVIDx releases), filenames relative to an image root folder.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, normalize, resolve, sep } from 'node:path';
import { canonicalClassName, type CanonicalClass } from './class_names.js';
import { DataError } from './data_error.js';

export interface SplitEntry {
  patientId: string;
  /** Absolute path of the image. */
  file: string;
  label: CanonicalClass;
  source: string;
  /** 1-based line number in the split file, for messages. */
  line: number;
}

/**
 * Reads a split file and checks every line: column count, a label that names one of the canonical classes,
 * a filename that stays inside imageRoot, an existing file, and no filename listed twice. Blank lines and
 * lines starting with '#' are skipped. Errors name the split file and line.
 */
export function readSplitFile(splitFile: string, imageRoot: string): SplitEntry[] {
  let text: string;
  try {
    text = readFileSync(splitFile, 'utf8');
  } catch (e) {
    throw new DataError(`${splitFile}: cannot read split file (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  const entries: SplitEntry[] = [];
  const firstLineOf = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const fields = lines[i].trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) continue;
    const at = `${splitFile}:${line}`;
    if (fields.length !== 3 && fields.length !== 4) {
      throw new DataError(`${at}: expected "patient_id filename label [source]", found ${fields.length} fields`);
    }
    const [patientId, name, labelText, source = ''] = fields;
    const label = canonicalClassName(labelText);
    if (!label) {
      throw new DataError(`${at}: unknown label "${labelText}" (expected normal, bacterial, viral or covid)`);
    }
    const file = resolveInside(imageRoot, name, at);
    const previous = firstLineOf.get(file);
    if (previous !== undefined) throw new DataError(`${at}: duplicate entry "${name}" (first listed on line ${previous})`);
    firstLineOf.set(file, line);
    if (!existsSync(file) || !statSync(file).isFile()) throw new DataError(`${at}: image file not found: ${file}`);
    entries.push({ patientId, file, label, source, line });
  }
  return entries;
}

/** imageRoot/name, refusing absolute names and names that climb out of the root with "..". */
function resolveInside(imageRoot: string, name: string, at: string): string {
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name) || name.startsWith('\\')) {
    throw new DataError(`${at}: filename "${name}" is absolute; it must be relative to the image root ${imageRoot}`);
  }
  const normalized = normalize(name.replace(/\\/g, '/'));
  if (normalized === '..' || normalized.startsWith(`..${sep}`) || normalized.startsWith('../')) {
    throw new DataError(`${at}: filename "${name}" escapes the image root ${imageRoot}`);
  }
  return resolve(imageRoot, normalized);
}
