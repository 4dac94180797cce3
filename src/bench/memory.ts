/**
 * `cnnx bench --memory`: how much GPU memory each registered model needs, at its native input size, for
 * - inference: eval mode under noGrad, one forward at batch 1 and at the given batch;
 * - one training step at the given batch: train mode, forward, mean softmax cross-entropy, backward, Adam step,
 *   gradients freed (as src/train/trainer.ts runs it), Adam's moments created by that first step.
 * Each model runs on a freshly opened device, so nothing an earlier model left (a failed step's graph) counts. Under
 * lavapipe a destroyed device's memory stays with the process, so the CLI measures each model in a process of its own.
 *
 * Peak = the buffer pool's peakInUseBytes, reset before each measurement: the bytes in the engine's storage buffers
 * that are live at the worst moment, in the pool's size classes (<= 25% over the tensor sizes). It includes the
 * parameters and batch-norm running statistics, the input batch, every op output and saved tensor still held, the
 * gradients and Adam's moments. It leaves out the pool's free (cached) buffers (`reserved_bytes` adds them), the
 * 64 KiB uniform arenas and read-back staging buffers, and whatever the driver keeps (pipelines, shader code).
 * The pool counts at record time; since a freed buffer is only reused by work later on the same queue, that is the
 * memory the device needs.
 */
import { cpuUsage } from 'node:process';
import { loadavg } from 'node:os';
import { createRng } from '../data/prng.js';
import { backward } from '../graph/autograd.js';
import { softmaxCrossEntropy } from '../graph/ops/softmax_cross_entropy.js';
import { keep, tidy } from '../graph/scope.js';
import { noGrad } from '../graph/tape.js';
import { Tensor } from '../graph/tensor.js';
import type { Classifier } from '../models/classifier.js';
import { modelEntry } from '../models/registry.js';
import { sizeClass } from '../runtime/buffer_pool.js';
import type { DeviceInfo, Gpu } from '../runtime/gpu.js';
import { Adam } from '../train/adam.js';
import { hostData } from './data.js';

export interface MemoryOptions {
  models: string[];
  batch: number;
  /** Overrides every model's native input side (small runs in tests). */
  inputSize?: number;
  log: (line: string) => void;
}

export interface InferenceMemory {
  batch: number;
  peak_bytes: number | null;
  /** Live bytes just before the forward's scope ends, over the model's: the outputs of every layer still held. */
  held_at_end_bytes: number | null;
  wall_ms: number | null;
  error?: string;
}

export interface TrainingMemory {
  batch: number;
  peak_bytes: number | null;
  /** Which part of the step raised the peak last: the forward (with the loss), backward or the Adam step. */
  peak_phase: 'forward' | 'backward' | 'adam' | null;
  /** Live bytes after forward and loss, over those before the step: input, op outputs and saved tensors. */
  activation_bytes: number | null;
  /** Live bytes after backward, over those before the step and the gradients: what backward used and did not free. */
  held_after_backward_bytes: number | null;
  /** Pool bytes of the parameters' gradients after backward. */
  gradient_bytes: number | null;
  /** Pool bytes Adam's moments (m, v) added. */
  adam_bytes: number | null;
  /** Pool bytes still in use after the step, over those after it should hold (model + moments): a leak when > 0. */
  leaked_bytes: number | null;
  /**
   * Every buffer the pool holds after the step, in use or cached for reuse: what this model's inference runs and step
   * made the device allocate. The pool is not trimmed between them, as in training: the step reuses the buffers the
   * inference at the same batch left (under lavapipe a destroyed buffer's host memory is never reused).
   */
  reserved_bytes: number | null;
  wall_ms: number | null;
  /** This process's CPU time over the step (lavapipe's worker threads included). */
  cpu_ms: number | null;
  loss: number | null;
  error?: string;
}

export interface MemoryRow {
  model: string;
  /** Input of one image, [C, H, W]. */
  input: number[];
  parameters: number;
  /** parameters x 4 bytes (float32). */
  parameter_bytes: number;
  /** Pool bytes the built model holds: parameters and batch-norm running statistics. */
  model_bytes: number;
  inference: InferenceMemory[];
  training: TrainingMemory | null;
  load_1m: number;
  error?: string;
}

export interface MemoryReport {
  device: Pick<DeviceInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'backend' | 'platform' | 'isSoftware'>;
  host: { loadavg_start: number[]; loadavg_end: number[] };
  date: string;
  batch: number;
  /** What a peak counts, in words (the file header above). */
  peak_includes: string;
  rows: MemoryRow[];
  seconds: number;
}

export const PEAK_INCLUDES =
  'peak = bytes live in the engine\'s pooled storage buffers at the worst moment (size classes, <= 25% over the tensors): ' +
  'parameters and batch-norm running statistics, the input batch, op outputs and tensors saved for backward while held, ' +
  'gradients and Adam\'s moments (m, v); not the pool\'s free cached buffers (reserved), uniform arenas, read-back ' +
  'staging or driver memory';

const SEED = 0;

/** Measures every model in `options.models`, each on a device from `openGpu`, destroyed after it (see the header). */
export async function runMemoryBench(openGpu: () => Promise<Gpu>, options: MemoryOptions): Promise<MemoryReport> {
  const started = performance.now();
  const loadStart = loadavg();
  const rows: MemoryRow[] = [];
  let device: MemoryReport['device'] | null = null;
  const log = (line: string): void => options.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
  for (const name of options.models) {
    const gpu = await openGpu();
    try {
      const info = gpu.info;
      device ??= {
        vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
        backend: info.backend, platform: info.platform, isSoftware: info.isSoftware,
      };
      rows.push(await measureModel(gpu, name, options, log));
    } finally {
      await gpu.sync().catch(() => undefined);
      gpu.destroy();
    }
  }
  return {
    device: device ?? { vendor: '', architecture: '', device: '', description: '', backend: '', platform: '', isSoftware: false },
    host: { loadavg_start: loadStart, loadavg_end: loadavg() },
    date: new Date().toISOString(),
    batch: options.batch,
    peak_includes: PEAK_INCLUDES,
    rows,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * One report from per-model reports measured elsewhere (the CLI measures each model in a process of its own), with
 * a row that says why for each model whose measurement produced no report.
 */
export function combineReports(parts: (MemoryReport | { model: string; error: string })[], batch: number, started: number,
  loadStart: number[]): MemoryReport {
  const reports = parts.filter((p): p is MemoryReport => 'rows' in p);
  return {
    device: reports.find((r) => r.device.description || r.device.device)?.device ??
      { vendor: '', architecture: '', device: '', description: '', backend: '', platform: '', isSoftware: false },
    host: { loadavg_start: loadStart, loadavg_end: loadavg() },
    date: new Date().toISOString(),
    batch,
    peak_includes: PEAK_INCLUDES,
    rows: parts.flatMap((p) => ('rows' in p ? p.rows : [{
      model: p.model, input: [], parameters: 0, parameter_bytes: 0, model_bytes: 0, inference: [], training: null,
      load_1m: loadavg()[0]!, error: p.error,
    }])),
    seconds: (performance.now() - started) / 1000,
  };
}

async function measureModel(gpu: Gpu, name: string, options: MemoryOptions, log: (line: string) => void): Promise<MemoryRow> {
  const row: MemoryRow = {
    model: name, input: [], parameters: 0, parameter_bytes: 0, model_bytes: 0, inference: [], training: null, load_1m: 0,
  };
  let model: Classifier | null = null;
  try {
    model = modelEntry(name).build({ gpu, rng: createRng(SEED) }, options.inputSize ? { inputSize: options.inputSize } : {});
    row.input = [model.input.channels, model.input.height, model.input.width];
    row.parameters = model.numParameters();
    row.parameter_bytes = row.parameters * 4;
    row.model_bytes = gpu.poolStats().inUseBytes;
    log(`${name}: [${row.input.join(', ')}], ${row.parameters.toLocaleString('en-US')} parameters (${mib(row.parameter_bytes)} MiB)`);
    for (const batch of [...new Set([1, options.batch])]) {
      const m = await measureInference(gpu, model, batch);
      row.inference.push(m);
      log(`  inference, batch ${batch}: ` + (m.error ?? `peak ${mib(m.peak_bytes)} MiB, ${(m.wall_ms! / 1000).toFixed(1)} s`));
    }
    row.training = await measureTraining(gpu, model, options.batch);
    const t = row.training;
    log(`  training step, batch ${options.batch}: ` + (t.error ??
      `peak ${mib(t.peak_bytes)} MiB (in ${t.peak_phase}; activations ${mib(t.activation_bytes)}, held after backward ` +
      `${mib(t.held_after_backward_bytes)}, gradients ${mib(t.gradient_bytes)}, Adam ${mib(t.adam_bytes)} MiB), ` +
      `${(t.wall_ms! / 1000).toFixed(1)} s wall, ${(t.cpu_ms! / 1000).toFixed(1)} s CPU, loss ${t.loss?.toFixed(4)}`));
  } catch (error) {
    row.error = message(error);
    log(`${name}: ${row.error}`);
  } finally {
    model?.dispose();
  }
  row.load_1m = loadavg()[0]!;
  return row;
}

function inputData(model: Classifier, batch: number): { data: Float32Array; shape: number[]; labels: Float32Array } {
  const { channels, height, width } = model.input;
  const shape = [batch, channels, height, width];
  return {
    shape,
    data: hostData(batch * channels * height * width, SEED + batch),
    labels: Float32Array.from({ length: batch }, (_, i) => i % model.numClasses),
  };
}

async function measureInference(gpu: Gpu, model: Classifier, batch: number): Promise<InferenceMemory> {
  const out: InferenceMemory = { batch, peak_bytes: null, held_at_end_bytes: null, wall_ms: null };
  const { data, shape } = inputData(model, batch);
  model.eval();
  await gpu.sync();
  const before = gpu.poolStats().inUseBytes;
  gpu.pool.resetPeak();
  const t0 = performance.now();
  try {
    noGrad(() =>
      tidy(() => {
        model.forward(Tensor.fromData(gpu, data, shape, 'memory:x'));
        out.held_at_end_bytes = gpu.poolStats().inUseBytes - before;
      }),
    );
    await gpu.sync();
    out.wall_ms = performance.now() - t0;
    out.peak_bytes = gpu.poolStats().peakInUseBytes;
  } catch (error) {
    out.error = message(error);
    await gpu.sync().catch(() => undefined);
  }
  return out;
}

async function measureTraining(gpu: Gpu, model: Classifier, batch: number): Promise<TrainingMemory> {
  const out: TrainingMemory = {
    batch, peak_bytes: null, peak_phase: null, activation_bytes: null, held_after_backward_bytes: null, gradient_bytes: null,
    adam_bytes: null, leaked_bytes: null, reserved_bytes: null, wall_ms: null, cpu_ms: null, loss: null,
  };
  const { data, shape, labels } = inputData(model, batch);
  const optimizer = new Adam(model.namedParameters(), { lr: 3e-4 });
  const lossOut = keep(Tensor.zeros(gpu, [1], 'memory:loss'));
  try {
    model.train();
    await gpu.sync();
    const inUse = (): number => gpu.poolStats().inUseBytes;
    const peak = (): number => gpu.poolStats().peakInUseBytes;
    const before = inUse();
    gpu.pool.resetPeak();
    const phasePeaks: number[] = [];
    const t0 = performance.now();
    const c0 = cpuUsage();
    tidy(() => {
      const x = Tensor.fromData(gpu, data, shape, 'train:x');
      const y = Tensor.fromData(gpu, labels, [batch], 'train:labels');
      const loss = softmaxCrossEntropy(model.forward(x), y);
      out.activation_bytes = inUse() - before;
      phasePeaks.push(peak());
      backward(loss);
      out.gradient_bytes = model.parameters().reduce((sum, p) => sum + (p.grad ? sizeClass(p.grad.storage.bytes) : 0), 0);
      out.held_after_backward_bytes = inUse() - before - out.gradient_bytes;
      phasePeaks.push(peak());
      const beforeAdam = inUse();
      optimizer.step();
      out.adam_bytes = inUse() - beforeAdam;
      optimizer.zeroGrad();
      phasePeaks.push(peak());
      gpu.copy(loss.buffer, 0, lossOut.buffer, 0, 4);
    });
    await gpu.sync();
    out.wall_ms = performance.now() - t0;
    const cpu = cpuUsage(c0);
    out.cpu_ms = (cpu.user + cpu.system) / 1000;
    out.peak_bytes = peak();
    out.peak_phase = (['forward', 'backward', 'adam'] as const)[phasePeaks.indexOf(out.peak_bytes)] ?? null;
    out.leaked_bytes = inUse() - before - out.adam_bytes!;
    out.reserved_bytes = gpu.poolStats().bytes;
    out.loss = (await lossOut.read())[0]!;
  } catch (error) {
    out.error = message(error);
    await gpu.sync().catch(() => undefined);
  } finally {
    lossOut.dispose();
    optimizer.dispose();
  }
  return out;
}

/** Mebibytes with one decimal, or '-' for a missing number. */
export function mib(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** The report as a markdown table, one row per model, with what the numbers count. */
export function memoryTable(r: MemoryReport): string {
  const lines = [
    `| model | input | parameters | params MiB | infer b1 peak | infer b${r.batch} peak | train b${r.batch} peak | peak in | ` +
      `activations | held after backward | grads | Adam m+v | pool after step | step s (wall / CPU) | load |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of r.rows) {
    const infer = (batch: number): string => {
      const m = row.inference.find((i) => i.batch === batch);
      return m ? (m.error ? 'failed' : mib(m.peak_bytes)) : '-';
    };
    const t = row.training;
    const train = !t ? (row.error ? 'failed' : '-') : t.error ? 'failed' : mib(t.peak_bytes);
    const ok = t && !t.error;
    lines.push(
      `| ${row.model} | ${row.input.length > 0 ? `${row.input.slice(1).join('x')}x${row.input[0]}` : '-'} | ${row.parameters.toLocaleString('en-US')} | ${mib(row.parameter_bytes)} | ` +
        `${infer(1)} | ${r.batch === 1 ? '-' : infer(r.batch)} | ${train} | ${ok ? t.peak_phase : '-'} | ` +
        `${ok ? mib(t.activation_bytes) : '-'} | ${ok ? mib(t.held_after_backward_bytes) : '-'} | ${ok ? mib(t.gradient_bytes) : '-'} | ` +
        `${ok ? mib(t.adam_bytes) : '-'} | ${ok ? mib(t.reserved_bytes) : '-'} | ${ok ? `${(t.wall_ms! / 1000).toFixed(1)} / ${(t.cpu_ms! / 1000).toFixed(1)}` : '-'} | ` +
        `${row.load_1m.toFixed(1)} |`,
    );
  }
  const failures = r.rows.flatMap((row) => [
    ...(row.error ? [`${row.model}: ${row.error}`] : []),
    ...row.inference.filter((m) => m.error).map((m) => `${row.model}, inference at batch ${m.batch}: ${m.error}`),
    ...(row.training?.error ? [`${row.model}, training step at batch ${row.training.batch}: ${row.training.error}`] : []),
  ]);
  if (failures.length > 0) lines.push('', 'Failed:', '', ...failures.map((f) => `- ${f}`));
  return lines.join('\n');
}

export function memoryHeader(r: MemoryReport): string[] {
  const d = r.device;
  return [
    `device: ${d.description || d.device} (${d.vendor}, ${d.architecture}; ${d.platform}, ${d.backend}${d.isSoftware ? ', software' : ''})`,
    `load average ${r.host.loadavg_start.map((l) => l.toFixed(2)).join(' ')} at start, ` +
      `${r.host.loadavg_end.map((l) => l.toFixed(2)).join(' ')} at end; date: ${r.date}; ${r.seconds.toFixed(0)} s`,
    `sizes in MiB; ${r.peak_includes}`,
  ];
}

/** bench/MEMORY.md: how it was made, the device, the table and what each column counts. */
export function memoryMarkdown(r: MemoryReport): string {
  return [
    '# cnnx GPU memory per model',
    '',
    `Written by \`cnnx bench --memory --batch ${r.batch} --write-results\`; rerun it to refresh. Each model runs at its ` +
      'native input size in a process of its own: inference is one eval-mode forward under noGrad, training one ' +
      'step (forward, mean softmax cross-entropy, backward, Adam step, gradients freed) from fresh Adam state.',
    '',
    ...memoryHeader(r).map((line) => `- ${line}`),
    '',
    memoryTable(r),
    '',
    '- **peak in**: the part of the training step during which the peak was reached (forward with the loss, backward, or the Adam step).',
    '- **activations**: live after forward and loss, over before the step (input, op outputs, tensors saved for backward).',
    '- **held after backward**: live after backward, over before the step and the gradients: what the step still holds ' +
      'until its scope ends (the input, logits, loss and the last feature map; every activation backward used is freed).',
    '- **grads**, **Adam m+v**: pool bytes of the gradients after backward and of the moments the first step creates.',
    '- **pool after step**: every buffer the pool holds after the inference runs and the step, in use or cached for ' +
      'reuse: the device memory the measuring process allocated (nothing is destroyed in between).',
    '- **step s**: the first training step\'s wall and process CPU seconds (lavapipe\'s threads included), building the ' +
      'backward pipelines included; on a shared software GPU, a rough figure.',
    '',
  ].join('\n');
}
