/**
 * Worker threads that load image planes off the main thread: they decode files (image_plane.ts) and expand the
 * cache's kept planes, a batch split into chunks, each sent back as one transferred array. On a fast GPU a CNN-X
 * step takes about 2 ms, less than decoding its 15 images on one core or even expanding them from the cache, so
 * that work on the main thread, which records the steps, would set the pace.
 */
import { ImageError } from '../io/image.js';
import { DataError } from './data_error.js';
import type { ChunkReply, ChunkRequest, PlaneJob } from './decode_worker.js';
import type { KeptPlane } from './image_plane.js';
import { ThreadPool } from './thread_pool.js';

export type { PlaneJob };

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

export class DecodePool {
  private decoded = 0;

  private constructor(private readonly threads: ThreadPool) {}

  /** One worker per core but one (the main thread records GPU work), at least 1 and at most 8. */
  static defaultWorkers(): number {
    return ThreadPool.defaultWorkers();
  }

  /**
   * A pool of `workers` threads (started as work arrives), or null where there is nothing to start: no workers
   * asked for, or no worker script (`script`, by default the compiled one beside this module).
   */
  static open(workers = DecodePool.defaultWorkers(), script: URL = WORKER_SCRIPT): DecodePool | null {
    const threads = ThreadPool.open(workers, script, { DataError, ImageError });
    return threads ? new DecodePool(threads) : null;
  }

  get size(): number {
    return this.threads.size;
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
    const spread = Math.max(1, Math.min(this.threads.size, Math.ceil(jobs.length / MIN_CHUNK_PLANES)));
    const chunks = decodes === 0 ? 1 : spread;
    const per = Math.max(1, Math.ceil(jobs.length / chunks));
    const starts = Array.from({ length: Math.ceil(jobs.length / per) }, (_, c) => c * per);
    this.decoded += decodes;
    const sent = starts.map((start) => {
      const request: Omit<ChunkRequest, 'id'> = { jobs: jobs.slice(start, start + per), height, width, keep };
      return this.threads.request<ChunkReply>(request);
    });
    const settled = await Promise.allSettled(sent);
    // Chunks are in job order and a worker reports a chunk's first failure: the first rejection is the earliest.
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const replies = settled.map((r) => (r as PromiseFulfilledResult<ChunkReply>).value);
    if (replies.length === 1) return replies[0]!;
    const pixels = new Float32Array(jobs.length * plane);
    replies.forEach((reply, c) => pixels.set(reply.pixels, starts[c]! * plane));
    return { pixels, kept: replies.flatMap((reply) => reply.kept) };
  }

  /** Stops the workers; loads still pending are rejected. */
  close(): Promise<void> {
    return this.threads.close();
  }
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
