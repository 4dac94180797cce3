/**
 * Where an adapter's tuned kernel choices live on disk, and how commands find them. `cnnx tune` writes
 * <cache>/kernel-choices/<adapter>.json, <cache> being $CNNX_CACHE_DIR, else $XDG_CACHE_HOME/cnnx, else ~/.cache/cnnx.
 * Every command that opens the GPU then uses that file if it exists; CNNX_KERNEL_CHOICES=off turns that off and
 * CNNX_KERNEL_CHOICES=<file> names another table. A damaged default file only warns (it is a cache: the heuristics
 * still run correctly without it); a file named explicitly that cannot be used is an error.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { DeviceInfo, Gpu } from '../runtime/gpu.js';
import { adapterFileName, adapterIdentity, KernelChoiceError, KernelChoices } from '../runtime/kernel_choices.js';
import { writeFileAtomic } from '../train/atomic_write.js';

export function kernelChoicesDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.CNNX_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cnnx');
  return join(cache, 'kernel-choices');
}

export function kernelChoicesPath(info: DeviceInfo, env: NodeJS.ProcessEnv = process.env): string {
  return join(kernelChoicesDir(env), adapterFileName(adapterIdentity(info)));
}

export function readKernelChoices(path: string): KernelChoices {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KernelChoiceError(`${path}: cannot read (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new KernelChoiceError(`${path}: not JSON (${(error as Error).message})`);
  }
  return KernelChoices.fromJSON(json, path);
}

export function writeKernelChoices(path: string, choices: KernelChoices): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(choices.toJSON(), null, 2)}\n`));
}

/**
 * Applies the table CNNX_KERNEL_CHOICES asks for to `gpu` and says which file that was (null: none in use).
 * `warn` hears why a default file was skipped.
 */
export function applyKernelChoices(gpu: Gpu, warn: (line: string) => void, env: NodeJS.ProcessEnv = process.env): string | null {
  const setting = env.CNNX_KERNEL_CHOICES ?? 'auto';
  if (setting === 'off') return null;
  const explicit = setting !== 'auto' && setting !== '';
  const path = explicit ? setting : kernelChoicesPath(gpu.info, env);
  if (!explicit && !existsSync(path)) return null;
  try {
    gpu.useKernelChoices(readKernelChoices(path));
    return path;
  } catch (error) {
    if (explicit || !(error instanceof KernelChoiceError)) throw error;
    warn(`warning: ignoring the tuned kernel choices: ${error.message} (rerun cnnx tune to rewrite them)`);
    return null;
  }
}
