/**
 * The data loader alone, no GPU: `npm run build && npx vite-node bench/loader.ts -- --data DIR [--size 224]
 * [--workers 0,1,4] [--epochs 2] [--batch-size 15] [--cache-mb 1024]`. For each worker count (0: the main thread)
 * it walks `epochs` epochs of the training split in the trainer's seeded order and batches, loading ahead as the
 * trainer does, and prints images/s per epoch: the first decodes every image, later ones only what the cache
 * (--cache-mb, as `cnnx train`) could not keep. A training run cannot go faster than its loader's figure. The
 * workers run the compiled worker script (dist/), hence the build first.
 */
import { parseArgs } from 'node:util';
import { availableParallelism, loadavg } from 'node:os';
import { batchIndices, epochOrder, loadBatch } from '../src/data/batches.js';
import { DecodePool } from '../src/data/decode_pool.js';
import { ImageCache } from '../src/data/image_cache.js';
import { loadDataset } from '../src/data/dataset.js';
import { Prefetch } from '../src/data/prefetch.js';

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string' },
    size: { type: 'string', default: '224' },
    workers: { type: 'string', default: `0,${DecodePool.defaultWorkers()}` },
    epochs: { type: 'string', default: '2' },
    'batch-size': { type: 'string', default: '15' },
    'cache-mb': { type: 'string', default: '1024' },
  },
});
if (!opts.data) throw new Error('--data DIR is required (e.g. a folder written by `cnnx data synth`)');
const size = Number(opts.size);
const batchSize = Number(opts['batch-size']);
const split = loadDataset(opts.data, { seed: 0 }).train;
const script = new URL('../dist/data/decode_worker.js', import.meta.url);

const load = loadavg().map((l) => l.toFixed(2)).join(' ');
const cores = availableParallelism();
const images = split.items.length;
console.log(`${images} training images at ${size}x${size}, batch ${batchSize}; ${cores} cores, load ${load}`);
console.log('| workers | epoch | images/s | s |');
console.log('| ---: | ---: | ---: | ---: |');
for (const workers of opts.workers.split(',').map(Number)) {
  const pool = DecodePool.open(workers, script);
  if (workers > 0 && !pool) throw new Error(`no worker script at ${script.pathname}: run npm run build first`);
  const cache = new ImageCache(Number(opts['cache-mb']) * 2 ** 20);
  for (let epoch = 1; epoch <= Number(opts.epochs); epoch++) {
    const batches = batchIndices(epochOrder(split.items.length, 0, epoch), batchSize);
    const started = performance.now();
    const itemsOf = (b: number) => [...batches[b]!].map((i) => split.items[i]!);
    const loads = new Prefetch(batches.length, (b) => loadBatch(itemsOf(b), size, cache, pool));
    for (let b = 0; b < batches.length; b++) await loads.next();
    const seconds = (performance.now() - started) / 1000;
    console.log(`| ${workers} | ${epoch} | ${(split.items.length / seconds).toFixed(0)} | ${seconds.toFixed(2)} |`);
  }
  await pool?.close();
}
