/**
 * Worker threads running one compiled script, for the CPU-bound data work (decoding images, drawing synthetic ones)
 * that would otherwise hold up the main thread. A request goes to the least busy worker with an id; the worker
 * answers `{ id, ...result }`, or `{ id, failed: { name, message } }`, rebuilt here as the class the main thread
 * would have thrown (`errorClasses`). Workers start as work arrives and count towards keeping the process alive
 * only while they have work, so an idle pool never holds the CLI or a test open.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';

/** Most workers a pool starts by default: past this the GPU, not the data work, sets the pace here. */
const MAX_DEFAULT_WORKERS = 8;

/** What a worker sends back for a request that failed. */
export interface WorkerFailure {
  id: number;
  failed: { name: string; message: string };
}

interface Pending {
  resolve: (reply: unknown) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker | null;
  pending: Map<number, Pending>;
}

export class ThreadPool {
  private readonly slots: Slot[];
  private nextId = 0;
  private closed = false;

  private constructor(
    workers: number,
    private readonly script: URL,
    private readonly errorClasses: Record<string, new (message: string) => Error>,
  ) {
    this.slots = Array.from({ length: workers }, () => ({ worker: null, pending: new Map<number, Pending>() }));
  }

  /**
   * One worker per core but `spare` (1 where the main thread records GPU work meanwhile), at least 1 and at most 8.
   */
  static defaultWorkers(spare = 1): number {
    return Math.max(1, Math.min(MAX_DEFAULT_WORKERS, availableParallelism() - spare));
  }

  /**
   * A pool of `workers` threads running `script`, or null where there is nothing to start: no workers asked for,
   * or no such script (where the sources run untranspiled, vitest, there is no compiled one beside them).
   */
  static open(
    workers: number,
    script: URL,
    errorClasses: Record<string, new (message: string) => Error> = {},
  ): ThreadPool | null {
    if (!Number.isInteger(workers) || workers < 0) {
      throw new RangeError(`worker threads must be an integer >= 0, got ${workers}`);
    }
    if (workers === 0 || !existsSync(fileURLToPath(script))) return null;
    return new ThreadPool(workers, script, errorClasses);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Sends `message` (given an id) to the least busy worker; resolves with its reply. */
  request<Reply>(message: object, transfer: readonly TransferListItem[] = []): Promise<Reply> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    const slot = this.slots.reduce((best, s) => (s.pending.size < best.pending.size ? s : best));
    const worker = slot.worker ?? this.start(slot);
    const id = this.nextId++;
    if (slot.pending.size === 0) worker.ref();
    return new Promise<Reply>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (reply: unknown) => void, reject });
      worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** Stops the workers; requests still pending are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker?.terminate()));
  }

  private start(slot: Slot): Worker {
    const worker = new Worker(this.script, { execArgv: workerExecArgv() });
    worker.unref();
    worker.on('message', (reply: { id: number } | WorkerFailure) => {
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ('failed' in reply) pending.reject(this.rebuilt(reply.failed));
      else pending.resolve(reply);
    });
    const fail = (reason: string) => {
      if (slot.worker !== worker) return;
      slot.worker = null; // the next request starts a fresh worker
      for (const pending of slot.pending.values()) pending.reject(new Error(`a worker thread stopped: ${reason}`));
      slot.pending.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => fail(this.closed ? 'the worker pool was closed' : `exit code ${code}`));
    slot.worker = worker;
    return worker;
  }

  /** The error a worker reported, as the class the main thread would have thrown. */
  private rebuilt(failed: { name: string; message: string }): Error {
    const ErrorClass = this.errorClasses[failed.name];
    if (ErrorClass) return new ErrorClass(failed.message);
    const error = new Error(failed.message);
    error.name = failed.name;
    return error;
  }
}

/** A worker's reply to a request that failed with `e`. */
export function failureOf(id: number, e: unknown): WorkerFailure {
  const { name, message } = e instanceof Error ? e : { name: 'Error', message: String(e) };
  return { id, failed: { name, message } };
}

/**
 * The process's Node flags a worker can take: all (memory limits, profiling, ...) but --input-type, which a worker
 * inherits from `node --input-type=module -e ...` and then refuses to start over (it only applies to -e input).
 */
function workerExecArgv(): string[] {
  return process.execArgv.filter((arg, i, all) => !arg.startsWith('--input-type') && all[i - 1] !== '--input-type');
}
