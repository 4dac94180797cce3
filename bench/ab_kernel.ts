/**
 * Interleaved A/B timing of one bench row across source trees or variants, in one process:
 *   npx vite-node bench/ab_kernel.ts -- [--roots /tmp/base,.] [--rounds 6] [--batch 15] OP LABEL PASS VARIANT[,...]
 * e.g. `... -- --roots /tmp/base,. conv2d cnnx_9x9 forward depthwise`, with /tmp/base a `git worktree` of the commit to
 * compare against (its node_modules a link to this one's). Each tree gets its own device and the bench's own case
 * (inputs rotated, checked against the host first); then the trees take turns, one timed measurement each per
 * round. On a shared 2-core host the same kernel read 62-106 ms in separate processes within an hour, and within 5%
 * taking turns in one: gains are stated from runs like this, not from two full benches.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { KernelCase } from '../src/bench/case.js';

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    roots: { type: 'string', default: '.' },
    rounds: { type: 'string', default: '6' },
    batch: { type: 'string', default: '15' },
  },
});
const [op, label, pass, variantList] = positionals;
if (!op || !label || !pass || !variantList) {
  throw new Error('usage: ab_kernel.ts [--roots A,B] [--rounds N] [--batch N] OP LABEL PASS VARIANT[,VARIANT...]');
}
const variants = variantList.split(',');
const plan = { warmup: 1, runs: 5, minRuns: 3, budgetMs: 1500 };

const trees = [];
for (const root of opts.roots.split(',').map((r) => resolve(r))) {
  const { createNodePlatform, UNQUANTISED_TIMESTAMPS } = await import(`${root}/src/platform/node.ts`);
  const { Gpu } = await import(`${root}/src/runtime/gpu.ts`);
  const { allCases } = await import(`${root}/src/bench/cases/index.ts`);
  const { measure } = await import(`${root}/src/bench/measure.ts`);
  const platform = createNodePlatform([UNQUANTISED_TIMESTAMPS]);
  const gpu = await Gpu.create(platform);
  const cases: KernelCase[] = allCases(Number(opts.batch), gpu);
  const found = cases.find((c) => c.op === op && c.label === label && c.pass === pass);
  if (!found) throw new Error(`${root}: no bench row ${op} ${label} ${pass}`);
  const prepared = await found.prepare(gpu);
  for (const variant of variants) {
    const error = await prepared.check(variant);
    if (!(error <= 1)) throw new Error(`${root}: ${variant} misses the host check (${error.toFixed(2)} x tolerance)`);
  }
  const ms = new Map(variants.map((v) => [v, [] as number[]]));
  trees.push({ root, platform, gpu, prepared, measure, ms });
}
for (let r = 0; r < Number(opts.rounds); r++) {
  for (const t of trees) {
    for (const v of variants) t.ms.get(v)!.push((await t.measure(t.gpu, (i: number) => t.prepared.run(v, i), plan)).ms);
  }
}
for (const t of trees) {
  for (const [variant, times] of t.ms) {
    const sorted = [...times].sort((a, b) => a - b);
    const runs = times.map((ms) => ms.toFixed(1)).join(' ');
    const median = sorted[sorted.length >> 1]!.toFixed(2);
    console.log(`${op} ${label} ${pass} ${variant} ${t.root}: median ${median} ms (${runs})`);
  }
  t.prepared.dispose();
  await t.gpu.sync();
  t.gpu.destroy();
  t.platform.release();
}
