/** A data set that cannot be loaded as asked; the message names the folder, file or split-file line at fault. */
export class DataError extends Error {
  override name = 'DataError';
}
