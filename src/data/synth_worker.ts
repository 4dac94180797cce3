// A synthetic data worker (synth.ts): draws one radiograph from its own seed and writes it and its lung mask as PNGs,
// the same bytes as on the main thread; answers with the confounder's box, or the failure (thread_pool.ts).
import { parentPort } from 'node:worker_threads';
import { writeSyntheticImage, type SyntheticJob } from './synth.js';
import { failureOf } from './thread_pool.js';

export interface SynthRequest extends SyntheticJob {
  id: number;
}

export interface SynthReply {
  id: number;
  box: Awaited<ReturnType<typeof writeSyntheticImage>>;
}

const port = parentPort;
if (!port) throw new Error('synth_worker.js runs as a worker thread of cnnx data synth, not on its own');
port.on('message', (request: SynthRequest) => {
  writeSyntheticImage(request).then(
    (box) => port.postMessage({ id: request.id, box } satisfies SynthReply),
    (e: unknown) => port.postMessage(failureOf(request.id, e)),
  );
});
