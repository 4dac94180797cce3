// A decode pool worker (decode_pool.ts): fills the planes of one chunk of a batch, loading files or expanding the
// cache's kept planes, and sends them back as one transferred array, with the planes it decoded in kept form
// (shared memory, for the cache) when asked; or the first failure (thread_pool.ts), whose message names the file.
import { parentPort } from 'node:worker_threads';
import { compactPlane, loadImagePlane, writePlane, type KeptPlane } from './image_plane.js';
import { failureOf } from './thread_pool.js';

export interface PlaneJob {
  file: string;
  /** The plane as the cache keeps it; the worker then only expands it. */
  kept?: KeptPlane;
}

export interface ChunkRequest {
  id: number;
  jobs: PlaneJob[];
  height: number;
  width: number;
  /** Whether to send back the planes decoded, compacted, for the cache. */
  keep: boolean;
}

export interface ChunkReply {
  id: number;
  pixels: Float32Array;
  kept: (KeptPlane | null)[];
}

const port = parentPort;
if (!port) throw new Error('decode_worker.js runs as a worker thread of the decode pool, not on its own');
port.on('message', async (request: ChunkRequest) => {
  const plane = request.height * request.width;
  const pixels = new Float32Array(request.jobs.length * plane);
  const loads = await Promise.allSettled(
    request.jobs.map((job) => (job.kept ? null : loadImagePlane(job.file, request.height, request.width))),
  );
  const kept: (KeptPlane | null)[] = [];
  for (const [index, job] of request.jobs.entries()) {
    const loaded = loads[index]!;
    if (loaded.status === 'rejected') {
      port.postMessage(failureOf(request.id, loaded.reason));
      return;
    }
    if (job.kept) {
      writePlane(job.kept, pixels, index * plane);
      kept.push(null);
    } else {
      pixels.set(loaded.value!, index * plane);
      kept.push(request.keep ? compactPlane(loaded.value!, true) : null);
    }
  }
  port.postMessage({ id: request.id, pixels, kept } satisfies ChunkReply, [pixels.buffer as ArrayBuffer]);
});
