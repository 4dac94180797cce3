/**
 * The bytes a binding covers: a range's size, or a whole buffer's. A GPUBuffer's size is a getter into Dawn (about
 * 0.14 us a read through dawn.node) and a dispatch read it for each binding twice (the binding limit check and the
 * bind group key); a buffer's size never changes, so it is read from Dawn once per buffer.
 */
import type { Binding } from './gpu.js';

const wholeBytes = new WeakMap<GPUBuffer, number>();

export function bindingBytes(b: Binding): number {
  return isRange(b) ? b.size : bufferBytes(b);
}

/** A whole buffer's size, read from Dawn once. */
export function bufferBytes(buffer: GPUBuffer): number {
  let bytes = wholeBytes.get(buffer);
  if (bytes === undefined) wholeBytes.set(buffer, (bytes = buffer.size));
  return bytes;
}

export function isRange(b: Binding): b is Exclude<Binding, GPUBuffer> {
  return 'buffer' in b;
}
