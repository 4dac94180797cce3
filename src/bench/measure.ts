/**
 * How `cnnx bench` times work on the GPU. A run is one call of `run(i)`, which records its dispatches; `i` counts the
 * runs so the caller can rotate through several input sets (the cache then holds none of them from the run before).
 * Warm-up runs first (pipelines are built, pooled buffers exist), then timed runs until `runs` are done or the time
 * budget is spent (at least `minRuns`), and the median of each clock is kept:
 * - gpu: the sum of the run's per-dispatch GPU timestamps (gpu.startProfiling), when the adapter has timestamp
 *   queries. Under lavapipe the "GPU" is the host's CPU threads, so this is still inflated by other processes that
 *   take the cores, but not by the host waiting for its turn to submit.
 * - wall: from recording to gpu.sync() returning.
 * - cpu: this process's CPU time over the run (lavapipe's worker threads included): steadier than wall on a shared
 *   host, since other load mostly adds waiting, not work.
 * Work slower than the whole budget (the simple reference variants at large shapes) is timed by its checked run
 * alone (see run.ts), so one 30-second kernel does not hold the bench up for minutes.
 * Work much shorter than REPEAT_MS of GPU time is recorded several times back to back per timed run (the times are
 * per repetition), so a 50 us kernel on a fast GPU is timed busy, as inside a training step, rather than alone
 * between host round trips. (On the H100 per-kernel rows still varied up to 3x between runs; `cnnx tune`'s
 * choices, timed this way, matched what the end-to-end runs then measured.)
 */
import { cpuUsage } from 'node:process';
import type { Gpu } from '../runtime/gpu.js';

export interface Timing {
  /** Median GPU ms per run (timestamps), or median wall ms where the adapter has no timestamp queries. */
  ms: number;
  wallMs: number;
  cpuMs: number;
  /** Timed runs the medians are over. */
  samples: number;
  clock: 'gpu-timestamps' | 'wall' | 'wall (below the timestamp resolution)';
}

export interface MeasurePlan {
  warmup: number;
  runs: number;
  minRuns: number;
  /** Stop adding timed runs past minRuns once this many wall ms were spent timing. */
  budgetMs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Scales a plan for work whose first (checked, untimed) run took `firstMs`: for slow work that run was the warm-up,
 * and fewer timed runs are taken, so a 30-second reference kernel does not hold the bench up for minutes.
 */
export function planFor(plan: MeasurePlan, firstMs: number): MeasurePlan {
  if (firstMs <= plan.budgetMs / 4) return plan;
  const minRuns = Math.max(1, Math.min(plan.minRuns, Math.floor((2 * plan.budgetMs) / firstMs)));
  return { warmup: 0, runs: minRuns, minRuns, budgetMs: plan.budgetMs };
}

/** GPU ms a timed run should last at least; shorter work is repeated (see the file header). */
const REPEAT_MS = 2;
const MAX_REPEATS = 64;
/** Dispatches one profiled submission may time (the profiler's capacity, with room to spare). */
const MAX_PROFILED = 1024;

/** Runs the last warm-up run, timed where the adapter allows, and returns how often to repeat the work per timed run. */
async function warmUpRepeats(gpu: Gpu, runOnce: () => void): Promise<number> {
  if (!gpu.hasTimestamps) {
    runOnce();
    await gpu.sync();
    return 1;
  }
  gpu.startProfiling();
  runOnce();
  const probe = await gpu.stopProfiling();
  const probeMs = probe.reduce((sum, t) => sum + t.ms, 0);
  const byTime = probeMs > 0 ? Math.ceil(REPEAT_MS / probeMs) : MAX_REPEATS;
  return Math.max(1, Math.min(byTime, MAX_REPEATS, Math.floor(MAX_PROFILED / Math.max(1, probe.length))));
}

/** Times `run` on the GPU (see the file header); `first` is the index of the first run (a rotation offset). */
export async function measure(gpu: Gpu, run: (i: number) => void, plan: MeasurePlan, first = 0): Promise<Timing> {
  let i = first;
  for (let w = 0; w < plan.warmup - 1; w++) run(i++);
  await gpu.sync();
  // The last warm-up run says whether the work needs repeating (slow work has no warm-up: it never does).
  const repeats = plan.warmup > 0 ? await warmUpRepeats(gpu, () => run(i++)) : 1;
  const gpuMs: number[] = [];
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  const started = performance.now();
  for (let s = 0; s < plan.runs; s++) {
    if (s >= plan.minRuns && performance.now() - started > plan.budgetMs) break;
    const cpu = cpuUsage();
    const t0 = performance.now();
    if (gpu.hasTimestamps) {
      gpu.startProfiling();
      for (let r = 0; r < repeats; r++) run(i++);
      const times = await gpu.stopProfiling();
      gpuMs.push(times.reduce((sum, t) => sum + t.ms, 0) / repeats);
    } else {
      run(i++);
      await gpu.sync();
    }
    wallMs.push((performance.now() - t0) / repeats);
    const used = cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000 / repeats);
  }
  const wall = median(wallMs);
  return {
    ms: gpu.hasTimestamps ? median(gpuMs) : wall,
    wallMs: wall,
    cpuMs: median(cpuMs),
    samples: wallMs.length,
    clock: gpu.hasTimestamps ? 'gpu-timestamps' : 'wall',
  };
}

/** Wall ms of one run of an async step (the end-to-end benchmarks, whose time includes the host's share). */
export async function measureWall(step: (i: number) => Promise<void>, plan: MeasurePlan, first = 0): Promise<Timing> {
  let i = first;
  for (let w = 0; w < plan.warmup; w++) await step(i++);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  const started = performance.now();
  for (let s = 0; s < plan.runs; s++) {
    if (s >= plan.minRuns && performance.now() - started > plan.budgetMs) break;
    const cpu = cpuUsage();
    const t0 = performance.now();
    await step(i++);
    wallMs.push(performance.now() - t0);
    const used = cpuUsage(cpu);
    cpuMs.push((used.user + used.system) / 1000);
  }
  const wall = median(wallMs);
  return { ms: wall, wallMs: wall, cpuMs: median(cpuMs), samples: wallMs.length, clock: 'wall' };
}
