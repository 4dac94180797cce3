/**
 * `cnnx bench` as a library call: the roofs, then every kernel case (each variant checked, then timed; the peer's
 * same computation timed on the same adapter), then the end-to-end runs, then the roofs again. Progress goes to
 * `log` (stderr in the CLI), so stdout carries only the report.
 */
import { cpus, loadavg } from 'node:os';
import type { Platform } from '../platform/platform.js';
import type { Gpu } from '../runtime/gpu.js';
import type { KernelCase } from './case.js';
import { allCases } from './cases/index.js';
import { e2eCases } from './e2e.js';
import { measure, planFor, type MeasurePlan, type Timing } from './measure.js';
import { loadTfjs, measurePeer, takePeerErrors, trimTfjs, unloadTfjs, type LoadedPeer, type Tf } from './peer_tfjs.js';
import type { BenchReport, E2eRow, PeerResult, ResultRow } from './report.js';
import { measureRoofs, type Roofs } from './roofs.js';

export interface BenchOptions {
  quick: boolean;
  /** Substrings (case-insensitive) of the result or end-to-end names to run; all when empty. */
  filter: string[];
  peers: boolean;
  log: (line: string) => void;
}

export const PLANS: Record<'full' | 'quick', MeasurePlan> = {
  full: { warmup: 2, runs: 15, minRuns: 5, budgetMs: 10_000 },
  quick: { warmup: 1, runs: 5, minRuns: 3, budgetMs: 1_500 },
};

/** The batch of the kernel shapes: the paper's training batch 15, or 1 in --quick mode. */
export function batchOf(quick: boolean): number {
  return quick ? 1 : 15;
}

export function caseName(c: Pick<KernelCase, 'op' | 'pass' | 'label'>, variant: string): string {
  return `${c.op}.${c.pass}/${variant}/${c.label}`;
}

function matches(filter: string[], name: string): boolean {
  return filter.length === 0 || filter.some((f) => name.toLowerCase().includes(f.toLowerCase()));
}

export async function runBench(gpu: Gpu, platform: Platform, options: BenchOptions): Promise<BenchReport> {
  const started = performance.now();
  const loadStart = loadavg();
  const plan = PLANS[options.quick ? 'quick' : 'full'];
  const batch = batchOf(options.quick);
  const log = (line: string): void => options.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
  log(`cnnx bench (${options.quick ? 'quick' : 'full'}): ${gpu.info.description || gpu.info.device}; load average ${fmtLoad(loadStart)}`);

  const roofRuns: Roofs[] = [];
  const roofsNow = async (): Promise<void> => {
    const r = await measureRoofs(gpu, plan, options.quick);
    roofRuns.push({ fma_gflops: r.fma_gflops, copy_gbps: r.copy_gbps });
    const rates = `FMA ${r.fma_gflops.toFixed(2)} GFLOP/s, copy ${r.copy_gbps.toFixed(2)} GB/s`;
    log(`roofs: ${rates} (best FMA: ${r.fma}; best copy: ${r.copy})`);
  };
  await roofsNow();

  const cases = allCases(batch, gpu).filter((c) => c.variants.some((v) => matches(options.filter, caseName(c, v))));
  const e2e = e2eCases(options.quick).filter((e) => matches(options.filter, e.name));
  let peer: LoadedPeer | null = null;
  if (options.peers && (cases.some((c) => c.peer && !('none' in c.peer)) || e2e.length > 0)) {
    peer = await loadTfjs(platform.gpu);
    log('error' in peer ? `peer: none (${peer.error})` : `peer: ${peer.info.name} ${peer.info.version} on the same adapter`);
  }
  const tf = peer && 'tf' in peer ? peer.tf : null;
  const peerUnavailable = !options.peers ? 'peers not run (--no-peers)' : peer && 'error' in peer ? peer.error : null;

  const results: ResultRow[] = [];
  for (const c of cases) results.push(...(await runCase(gpu, c, plan, { ...options, log }, tf, peerUnavailable)));

  const e2eRows: E2eRow[] = [];
  for (const e of e2e) {
    log(`${e.name}: ${e.shape}`);
    const row = await e.run(gpu, plan, tf, peerUnavailable, log);
    row.load_1m = loadavg()[0]!;
    e2eRows.push(row);
    log(`  ${row.images_per_s?.toFixed(3) ?? row.error} images/s (${row.steps_per_sync ?? 1} steps per wait; ${row.ms_per_step_synced?.toFixed(1) ?? '-'} ms a step alone` +
      `${row.host_ms_per_step === undefined ? '' : `, host ${row.host_ms_per_step.toFixed(1)} ms a step`}); ` +
      `peer ${row.peer?.images_per_s?.toFixed(3) ?? row.peer?.reason ?? '-'}`);
  }

  await roofsNow();
  if (tf) unloadTfjs(tf);
  const roofs = {
    fma_gflops: Math.max(...roofRuns.map((r) => r.fma_gflops)),
    copy_gbps: Math.max(...roofRuns.map((r) => r.copy_gbps)),
  };
  for (const row of results) {
    // Roofline: the pass is compute-bound when its FLOPs per byte exceed the device's (FMA roof / copy roof), and
    // its fraction is the time the binding roof allows over the time it took.
    row.bound = row.flops / row.bytes >= roofs.fma_gflops / roofs.copy_gbps ? 'compute' : 'memory';
    if (row.ms === null) continue;
    const floorMs = Math.max(row.flops / roofs.fma_gflops, row.bytes / roofs.copy_gbps) / 1e6;
    row.roof_fraction = floorMs / row.ms;
  }
  const info = gpu.info;
  return {
    device: {
      vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
      backend: info.backend, platform: info.platform, isSoftware: info.isSoftware, timestamps: gpu.hasTimestamps,
    },
    host: { cpus: cpus().length, node: process.versions.node, loadavg_start: loadStart, loadavg_end: loadavg() },
    date: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    tuned_shapes: gpu.kernelChoices?.size ?? 0,
    roofs,
    roof_runs: roofRuns,
    peer: !options.peers ? null : peer && 'info' in peer ? { name: peer.info.name, version: peer.info.version }
      : { name: 'tfjs-webgpu', reason: peerUnavailable ?? 'not needed by the selected cases' },
    results,
    e2e: e2eRows,
    winners: winners(results),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Checks and times every variant of one case, then its peer; the fastest checked variant is marked the winner. */
async function runCase(gpu: Gpu, c: KernelCase, plan: MeasurePlan, options: BenchOptions, tf: Tf | null,
  peerUnavailable: string | null): Promise<ResultRow[]> {
  const { log } = options;
  const rows: ResultRow[] = [];
  let prepared;
  try {
    prepared = await c.prepare(gpu);
    await gpu.sync(); // uploads and output fills are not part of the first (checked) run's time
  } catch (error) {
    return c.variants.map((v) => failedRow(c, v, `prepare failed: ${message(error)}`));
  }
  try {
    for (const variant of c.variants) {
      const name = caseName(c, variant);
      if (!matches(options.filter, name)) continue;
      let error: number;
      let firstGpuMs = NaN;
      const t0 = performance.now();
      try {
        // The checked run is profiled too: a variant slower than the whole time budget is not run again.
        if (gpu.hasTimestamps) gpu.startProfiling();
        error = await prepared.check(variant);
        if (gpu.hasTimestamps) firstGpuMs = (await gpu.stopProfiling()).reduce((sum, k) => sum + k.ms, 0);
      } catch (e) {
        await gpu.stopProfiling().catch(() => undefined);
        rows.push(failedRow(c, variant, `check failed to run: ${message(e)}`));
        log(`${name}: check failed to run: ${message(e)}`);
        continue;
      }
      const firstMs = performance.now() - t0;
      if (!(error <= 1)) {
        rows.push({ ...failedRow(c, variant, `wrong results (error ${error.toPrecision(3)} x tolerance)`), check_error: error });
        log(`${name}: WRONG RESULTS (sampled error ${error.toPrecision(3)} x tolerance); not timed`);
        continue;
      }
      let t: Timing;
      try {
        t = firstGpuMs > plan.budgetMs
          ? { ms: firstGpuMs, wallMs: firstMs, cpuMs: NaN, samples: 1, clock: 'gpu-timestamps' }
          : await measure(gpu, (i) => prepared.run(variant, i), planFor(plan, firstMs), 1);
      } catch (e) {
        rows.push({ ...failedRow(c, variant, `run failed: ${message(e)}`), check_error: error });
        continue;
      }
      if (!(t.ms > 0)) t = { ...t, ms: t.wallMs, clock: 'wall (below the timestamp resolution)' };
      const gflops = c.flops / t.ms / 1e6;
      const gbps = c.bytes / t.ms / 1e6;
      rows.push({
        name, op: c.op, pass: c.pass, variant, label: c.label, shape: c.shape, ms: t.ms, wall_ms: t.wallMs, cpu_ms: t.cpuMs,
        samples: t.samples, clock: t.clock, flops: c.flops, bytes: c.bytes, gflops, gbps, bound: 'memory', roof_fraction: null,
        check_error: error, winner: false, peer: null, load_1m: loadavg()[0]!,
      });
      log(`${name}: ${t.ms.toFixed(2)} ms (wall ${t.wallMs.toFixed(1)}, cpu ${t.cpuMs.toFixed(1)}, n=${t.samples}, load ${loadavg()[0]!.toFixed(1)}) ` +
        `${gflops.toFixed(2)} GFLOP/s, ${gbps.toFixed(2)} GB/s`);
    }
  } finally {
    prepared.dispose();
    await gpu.sync().catch(() => undefined);
    gpu.pool.trim(); // rotation sets are large: give their memory back before the peer and the next case
  }
  const timed = rows.filter((r) => r.ms !== null);
  if (timed.length > 0) timed.reduce((a, b) => (b.ms! < a.ms! ? b : a)).winner = true;
  if (rows.length === 0) return rows;
  const peer = await runPeer(c, plan, tf, peerUnavailable, log);
  const best = timed.find((r) => r.winner);
  for (const row of rows) {
    row.peer = peer && { ...peer, ...(peer.ms !== null && row.ms !== null ? { ratio: peer.ms / row.ms } : {}) };
  }
  if (peer?.ms !== null && peer && best) log(`  peer ${peer.name}: ${peer.ms!.toFixed(2)} ms (${(peer.ms! / best.ms!).toFixed(2)}x cnnx's best)`);
  return rows;
}

async function runPeer(c: KernelCase, plan: MeasurePlan, tf: Tf | null, unavailable: string | null,
  log: (line: string) => void): Promise<PeerResult | null> {
  if (!c.peer) return null;
  if ('none' in c.peer) return { name: 'tfjs-webgpu', ms: null, reason: c.peer.none };
  if (!tf) return { name: c.peer.name, ms: null, reason: unavailable ?? 'peer not loaded' };
  const peerCase = c.peer;
  let prepared;
  takePeerErrors();
  try {
    prepared = peerCase.prepare(tf);
  } catch (error) {
    log(`  peer ${c.peer.name} failed: ${message(error)}`);
    return { name: c.peer.name, ms: null, reason: `failed: ${message(error)}` };
  }
  const invalid = (): PeerResult | null => {
    const errors = takePeerErrors();
    return errors.length === 0 ? null
      : { name: peerCase.name, ms: null, reason: `tfjs's kernels failed WebGPU validation: ${errors[0]!.split('\n')[0]}` };
  };
  try {
    const t0 = performance.now();
    const first = await tf.time(() => tf.tidy(() => void prepared.run(0)));
    const failed = invalid();
    if (failed) return failed;
    const firstMs = performance.now() - t0;
    // As for cnnx's variants: a peer slower than the whole time budget is timed by its first run alone (its
    // pipelines are built before the GPU timestamps start).
    if (typeof first.kernelMs === 'number' && first.kernelMs > plan.budgetMs) {
      return { name: c.peer.name, ms: first.kernelMs, wall_ms: first.wallMs, clock: 'gpu-timestamps (one run)' };
    }
    const t = await measurePeer(tf, (i) => prepared.run(i + 1), planFor(plan, firstMs));
    return invalid() ?? { name: c.peer.name, ms: t.ms, wall_ms: t.wallMs, clock: t.clock };
  } catch (error) {
    log(`  peer ${c.peer.name} failed: ${message(error)}`);
    return { name: c.peer.name, ms: null, reason: `failed: ${message(error)}` };
  } finally {
    prepared.dispose();
    trimTfjs(tf);
  }
}

function failedRow(c: KernelCase, variant: string, error: string): ResultRow {
  return {
    name: caseName(c, variant), op: c.op, pass: c.pass, variant, label: c.label, shape: c.shape, ms: null, wall_ms: null,
    cpu_ms: null, samples: 0, clock: '-', flops: c.flops, bytes: c.bytes, gflops: null, gbps: null, bound: 'memory',
    roof_fraction: null, check_error: null, winner: false, peer: null, error,
  };
}

function winners(rows: ResultRow[]): BenchReport['winners'] {
  const groups = new Map<string, ResultRow[]>();
  for (const row of rows) {
    const key = `${row.op}.${row.pass}/${row.label}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const out: BenchReport['winners'] = [];
  for (const group of groups.values()) {
    const win = group.find((r) => r.winner);
    if (group.length < 2 || !win) continue;
    out.push({
      op: win.op, pass: win.pass, label: win.label, variant: win.variant, ms: win.ms!,
      others: Object.fromEntries(group.filter((r) => r !== win).map((r) => [r.variant, r.ms])),
    });
  }
  return out;
}

function fmtLoad(l: number[]): string {
  return l.map((v) => v.toFixed(2)).join(' ');
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
