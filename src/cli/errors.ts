/**
 * How the CLI ends on an error: one clear message naming the file, key or flag at fault and exit code 1 (2 for a
 * usage error); the stack only with --verbose. The project's own errors are expected outcomes of bad input or a
 * failing device and print alone; anything else is a bug, printed with a hint to rerun with --verbose.
 */
import { DataError } from '../data/data_error.js';
import { StateDictError } from '../graph/modules/module.js';
import { ImageError } from '../io/image.js';
import { WeightFileError } from '../io/weight_file_error.js';
import { UnknownModelError } from '../models/registry.js';
import { GpuError } from '../runtime/errors.js';
import { KernelChoiceError } from '../runtime/kernel_choices.js';
import { CamError } from '../train/cam/layers.js';
import { TrainingDivergedError } from '../train/trainer.js';

/** A bad flag or flag combination. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An output file that could not be written after all (a full disk, a folder made read-only mid-run). */
export class OutputError extends Error {
  override name = 'OutputError';
}

/** Errors that report a problem with the user's input or device, not a bug (subclasses included). */
export const KNOWN_ERRORS: readonly (abstract new (...args: never[]) => Error)[] = [
  UsageError,
  OutputError,
  UnknownModelError,
  DataError,
  ImageError,
  WeightFileError,
  StateDictError,
  CamError,
  GpuError,
  KernelChoiceError,
  TrainingDivergedError,
];

/** Errors that mean the command line itself was wrong: exit code 2. */
const USAGE_ERRORS: readonly (abstract new (...args: never[]) => Error)[] = [UsageError, UnknownModelError];

export function isKnownError(error: unknown): boolean {
  return KNOWN_ERRORS.some((kind) => error instanceof kind);
}

export function reportError(error: unknown, verbose: boolean): number {
  const err = error instanceof Error ? error : new Error(String(error));
  process.stderr.write(`cnnx: ${err.message}\n`);
  if (verbose) process.stderr.write(`${err.stack ?? ''}\n`);
  else if (!isKnownError(err)) process.stderr.write('(run again with --verbose to see where it happened)\n');
  return USAGE_ERRORS.some((kind) => err instanceof kind) ? 2 : 1;
}
