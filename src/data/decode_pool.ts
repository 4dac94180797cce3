/**
 * Worker threads that load image planes off the main thread: they decode files (image_plane.ts) and expand the
 * cache's kept planes, a batch split into chunks, each sent back as one transferred array. On a fast GPU a CNN-X
 * step takes about 2 ms, less than decoding its 15 images on one core or even expanding them from the cache, so
 * that work on the main thread, which records the steps, would set the pace. A worker counts towards keeping the
 * process alive only while it has work, so an idle pool never holds the CLI or a test open.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ImageError } from '../io/image.js';
import { DataError } from './data_error.js';
import type { ChunkReply, ChunkRequest, PlaneJob } from './decode_worker.js';
import type { KeptPlane } from './image_plane.js';

export type { PlaneJob };

/** Most workers a pool starts by default: past this the GPU, not decoding, sets the pace of every model here. */
const MAX_DEFAULT_WORKERS = 8;

/** Planes a chunk takes at least: few messages a batch, and with batches loading ahead still every worker busy. */
const MIN_CHUNK_PLANES = 4;

/** The worker script beside this module; absent where the sources run untranspiled (vitest), where none start. */
const WORKER_SCRIPT = new URL('./decode_worker.js', import.meta.url);

export interface LoadedPlanes {
  /** The jobs' planes one after another: [jobs, height, width] floats. */
  pixels: Float32Array;
  /** Per job, the plane it decoded in kept form, in shared memory (with `keep`); null where it expanded one. */
  kept: (KeptPlane | null)[];
}

interface Chunk {
  resolve: (loaded: LoadedPlanes) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | null;
  chunks: Map<number, Chunk>;
}

export class DecodePool {
  private readonly slots: Slot[];
  private nextId = 0;
  private decoded = 0;
  private closed = false;

  private constructor(
    workers: number,
    private readonly script: URL,
  ) {
    this.slots = Array.from({ length: workers }, () => ({ worker: null, chunks: new Map<number, Chunk>() }));
  }

  /** One worker per core but one (the main thread records GPU work), at least 1 and at most 8. */
  static defaultWorkers(): number {
    return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism() - 1));
  }

  /**
   * A pool of `workers` threads (started as work arrives), or null where there is nothing to start: no workers
   * asked for, or no worker script (`script`, by default the compiled one beside this module).
   */
  static open(workers = DecodePool.defaultWorkers(), script: URL = WORKER_SCRIPT): DecodePool | null {
    if (!Number.isInteger(workers) || workers < 0) {
      throw new RangeError(`decode workers must be an integer >= 0, got ${workers}`);
    }
    if (workers === 0 || !existsSync(fileURLToPath(script))) return null;
    return new DecodePool(workers, script);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Files decoded so far (planes expanded from the cache not counted). */
  get decodes(): number {
    return this.decoded;
  }

  /**
   * The planes loadImagePlane gives for the jobs' files at height x width, in order; a job with a kept plane is only
   * expanded. Where several fail, the error is the first one's in job order.
   */
  async loadPlanes(jobs: readonly PlaneJob[], height: number, width: number, keep: boolean): Promise<LoadedPlanes> {
    const plane = height * width;
    // Expanding kept planes is cheap: in one chunk the worker's array is the result, with no copy on this thread.
    const decodes = jobs.filter((job) => !job.kept).length;
    const spread = Math.max(1, Math.min(this.slots.length, Math.ceil(jobs.length / MIN_CHUNK_PLANES)));
    const chunks = decodes === 0 ? 1 : spread;
    const per = Math.max(1, Math.ceil(jobs.length / chunks));
    const starts = Array.from({ length: Math.ceil(jobs.length / per) }, (_, c) => c * per);
    this.decoded += decodes;
    const sent = starts.map((start) => this.send(jobs.slice(start, start + per), height, width, keep));
    const settled = await Promise.allSettled(sent);
    // Chunks are in job order and a worker reports a chunk's first failure: the first rejection is the earliest.
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (settled.length === 1) return (settled[0] as PromiseFulfilledResult<LoadedPlanes>).value;
    const pixels = new Float32Array(jobs.length * plane);
    const kept: (KeptPlane | null)[] = [];
    settled.forEach((r, c) => {
      const loaded = (r as PromiseFulfilledResult<LoadedPlanes>).value;
      pixels.set(loaded.pixels, starts[c]! * plane);
      kept.push(...loaded.kept);
    });
    return { pixels, kept };
  }

  /** Stops the workers; loads still pending are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker?.terminate()));
  }

  /** One chunk to the least busy worker. */
  private send(jobs: PlaneJob[], height: number, width: number, keep: boolean): Promise<LoadedPlanes> {
    if (this.closed) return Promise.reject(new Error('the decode pool is closed'));
    const slot = this.slots.reduce((best, s) => (s.chunks.size < best.chunks.size ? s : best));
    const worker = slot.worker ?? this.start(slot);
    const id = this.nextId++;
    if (slot.chunks.size === 0) worker.ref();
    return new Promise((resolve, reject) => {
      slot.chunks.set(id, { resolve, reject });
      worker.postMessage({ id, jobs, height, width, keep } satisfies ChunkRequest);
    });
  }

  private start(slot: Slot): Worker {
    const worker = new Worker(this.script, { execArgv: workerExecArgv() });
    worker.unref();
    worker.on('message', (reply: ChunkReply) => {
      const chunk = slot.chunks.get(reply.id);
      if (!chunk) return;
      slot.chunks.delete(reply.id);
      if (slot.chunks.size === 0) worker.unref();

      if ('pixels' in reply) chunk.resolve({ pixels: reply.pixels, kept: reply.kept });
      else chunk.reject(rebuiltError(reply.failed));
    });
    const fail = (reason: string) => {
      if (slot.worker !== worker) return;
      slot.worker = null; // the next chunk starts a fresh worker
      for (const chunk of slot.chunks.values()) chunk.reject(new Error(`an image decode worker stopped: ${reason}`));
      slot.chunks.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(this.closed ? 'the decode pool was closed' : `exit code ${code}`));
    slot.worker = worker;
    return worker;
  }
}

/**
 * The process's Node flags a worker can take: all (memory limits, profiling, ...) but --input-type, which a worker
 * inherits from `node --input-type=module -e ...` and then refuses to start over (it only applies to -e input).
 */
function workerExecArgv(): string[] {
  return process.execArgv.filter((arg, i, all) => !arg.startsWith('--input-type') && all[i - 1] !== '--input-type');
}

/** The error a worker reported, as the class the main thread's loader would have thrown. */
function rebuiltError(error: { name: string; message: string }): Error {
  if (error.name === 'DataError') return new DataError(error.message);
  if (error.name === 'ImageError') return new ImageError(error.message);
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

let shared: DecodePool | null | undefined;

/**
 * The process's pool of DecodePool.defaultWorkers() threads, opened on first use (null where none can start): what
 * the data loader uses when not given one. Its idle workers do not keep the process alive.
 */
export function sharedDecodePool(): DecodePool | null {
  if (shared === undefined) shared = DecodePool.open();
  return shared;
}
