/**
 * The one error type the weight readers throw for a file they refuse: truncated, malformed, inconsistent or
 * hostile. Its message always starts with the file's name, so a user loading many checkpoints knows which one.
 */
export class WeightFileError extends Error {
  constructor(
    readonly source: string,
    detail: string,
  ) {
    super(`${source}: ${detail}`);
    this.name = 'WeightFileError';
  }
}
