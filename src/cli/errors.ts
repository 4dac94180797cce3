/**
 * How the CLI ends on an error: one clear line naming the file, key or flag at fault and exit code 1 (2 for a
 * usage error); the stack only with --verbose.
 */

/** A bad flag or flag combination. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function reportError(error: unknown, verbose: boolean): number {
  const err = error instanceof Error ? error : new Error(String(error));
  const known = /Error$/.test(err.name) && err.name !== 'Error' && err.name !== 'TypeError' && err.name !== 'RangeError';
  process.stderr.write(`cnnx: ${err.message}\n`);
  if (verbose) process.stderr.write(`${err.stack ?? ''}\n`);
  else if (!known) process.stderr.write('(run again with --verbose to see where it happened)\n');
  return err instanceof UsageError ? 2 : 1;
}
