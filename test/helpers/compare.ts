/**
 * The one comparison every op test uses. Passes when the relative error ||got - want|| / ||want|| is at most
 * `rel` (1e-4 by default, the project's bar); on failure lists the first elements outside atol + rtol*|want|
 * with their NCHW coordinates, and any NaN (an element a kernel never wrote).
 */
import { expect } from 'vitest';

export interface CloseOptions {
  rel?: number;
  atol?: number;
  rtol?: number;
}

export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < want.length; i++) {
    const d = got[i]! - want[i]!;
    diff += d * d;
    norm += want[i]! * want[i]!;
  }
  if (norm === 0) return Math.sqrt(diff);
  return Math.sqrt(diff / norm);
}

export function coords(index: number, shape: readonly number[]): string {
  const out: number[] = [];
  let rest = index;
  for (let d = shape.length - 1; d >= 0; d--) {
    out.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  const names = shape.length === 4 ? ['n', 'c', 'h', 'w'] : shape.map((_, i) => `d${i}`);
  return out.map((v, i) => `${names[i]}=${v}`).join(' ');
}

export function expectClose(
  label: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  shape: readonly number[],
  options: CloseOptions = {},
): void {
  const rel = options.rel ?? 1e-4;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  expect(got.length, `${label}: element count`).toBe(want.length);
  const error = relativeError(got, want);
  const nanAt: number[] = [];
  for (let i = 0; i < got.length && nanAt.length < 5; i++) if (!Number.isFinite(got[i]!)) nanAt.push(i);
  if (error <= rel && nanAt.length === 0) return;
  const lines: string[] = [];
  for (const i of nanAt) lines.push(`  [${coords(i, shape)}] got ${got[i]} (never written?) want ${want[i]}`);
  for (let i = 0; i < want.length && lines.length < 8; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Math.abs(g - w) > atol + rtol * Math.abs(w)) lines.push(`  [${coords(i, shape)}] got ${g} want ${w}`);
  }
  throw new Error(
    `${label} [${shape.join(', ')}]: relative error ${error.toExponential(3)} > ${rel}\n${lines.join('\n')}`,
  );
}
