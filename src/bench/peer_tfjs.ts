/**
 * The peer: TensorFlow.js's WebGPU backend on the same adapter as cnnx. tfjs finds WebGPU through
 * `navigator.gpu`; in Node there is none, so the bench hands it the GPU object of cnnx's own Dawn instance
 * (src/platform/node.ts) before loading the backend, which then opens its own device on the adapter cnnx uses.
 * tfjs (@tensorflow/tfjs and @tensorflow/tfjs-backend-webgpu) is a development dependency: where it is not
 * installed, every peer result is null with that reason.
 *
 * tfjs times like cnnx: tf.time() puts each kernel in its own compute pass with timestamp writes and sums them
 * (kernelMs), so the two GPU clocks are comparable; tfjs tensors are NHWC, so the peer gets its inputs in its own
 * layout, made before timing.
 */
import type * as TfCore from '@tensorflow/tfjs-core';
import { median, type MeasurePlan, type Timing } from './measure.js';

export type Tf = typeof TfCore;
export type TfTensor = TfCore.Tensor;
/** tfjs types its ops by rank; the bench's tensors are 4-D (NHWC) unless said otherwise. */
export type Tf4 = TfCore.Tensor4D;
export type TfScalar = TfCore.Scalar;

export interface PeerInfo {
  name: string;
  version: string;
  backend: string;
}

export type LoadedPeer = { tf: Tf; info: PeerInfo } | { error: string };

/** Loads tfjs-core and its WebGPU backend on `gpu` (Dawn's GPU object), or says why it cannot. */
export async function loadTfjs(gpu: GPU): Promise<LoadedPeer> {
  const host = globalThis as { navigator?: { gpu?: GPU } };
  if (!host.navigator?.gpu) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  let tf: Tf;
  try {
    // The union package registers the gradients (tfjs-core alone has none in its Node build) and the layers API.
    tf = (await import('@tensorflow/tfjs')) as unknown as Tf;
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (error) {
    return { error: `TensorFlow.js is not installed (npm install --save-dev @tensorflow/tfjs @tensorflow/tfjs-backend-webgpu): ${message(error)}` };
  }
  try {
    if (!(await tf.setBackend('webgpu'))) return { error: "tf.setBackend('webgpu') failed on this adapter" };
    await tf.ready();
  } catch (error) {
    return { error: `tfjs-backend-webgpu did not start: ${message(error)}` };
  }
  // tfjs does not look for WebGPU errors: an invalid dispatch (a binding over the device's limit) would be timed
  // as a fast no-op. Collect them here; takePeerErrors() turns them into a null peer result.
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (device) {
    device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
      event.preventDefault(); // handled: Dawn would otherwise print it to stdout, into --json's output
      peerErrors.push(event.error.message);
    };
  }
  return { tf, info: { name: 'tfjs-webgpu', version: tf.version_core, backend: tf.getBackend() } };
}

const peerErrors: string[] = [];

/** The WebGPU errors tfjs's device raised since the last call (see loadTfjs). */
export function takePeerErrors(): string[] {
  return peerErrors.splice(0);
}

/** Frees the peer's tensors and its device, so the process can exit. */
export function unloadTfjs(tf: Tf): void {
  tf.disposeVariables();
  const backend = tf.backend() as unknown as { device?: GPUDevice };
  const device = backend.device;
  tf.removeBackend('webgpu');
  device?.destroy();
}

/**
 * Destroys the buffers tfjs keeps for reuse (its BufferManager never gives memory back, and each case's rotation
 * sets are hundreds of MiB), keeping the map entries it expects. Reaches into the backend's internals: a bench-only
 * measure, done only when no tfjs work is pending.
 */
export function trimTfjs(tf: Tf): void {
  const manager = (tf.backend() as unknown as { bufferManager?: { freeBuffers: Map<string, GPUBuffer[]>; numFreeBuffers: number; numBytesAllocated: number } }).bufferManager;
  if (!manager) return;
  for (const list of manager.freeBuffers.values()) {
    for (const buffer of list) {
      manager.numBytesAllocated -= buffer.size;
      buffer.destroy();
    }
    list.length = 0;
  }
  manager.numFreeBuffers = 0;
}

/**
 * Times `run(i)` on tfjs as measure() does on cnnx: warm-up, then timed runs over rotating inputs, each inside
 * tf.time (per-kernel GPU timestamps; wall where tfjs reports no kernel time) and tf.tidy (its tensors are freed).
 */
export async function measurePeer(tf: Tf, run: (i: number) => unknown, plan: MeasurePlan, warmupAll = 0): Promise<Timing> {
  let i = 0;
  const once = async (): Promise<{ kernelMs: number; wallMs: number }> => {
    const index = i++;
    const info = await tf.time(() => {
      tf.tidy(() => {
        run(index);
      });
    });
    return { kernelMs: typeof info.kernelMs === 'number' ? info.kernelMs : NaN, wallMs: info.wallMs };
  };
  for (let w = 0; w < Math.max(plan.warmup, warmupAll); w++) await once();
  const kernel: number[] = [];
  const wall: number[] = [];
  const started = performance.now();
  for (let s = 0; s < plan.runs; s++) {
    if (s >= plan.minRuns && performance.now() - started > plan.budgetMs) break;
    const t = await once();
    kernel.push(t.kernelMs);
    wall.push(t.wallMs);
  }
  const kernelMs = median(kernel);
  const wallMs = median(wall);
  const timed = Number.isFinite(kernelMs) && kernelMs > 0;
  return { ms: timed ? kernelMs : wallMs, wallMs, cpuMs: NaN, samples: wall.length, clock: timed ? 'gpu-timestamps' : 'wall' };
}

/** A tensor on the peer's GPU (tfjs uploads lazily, at first use; this makes that use happen before timing). */
export function onGpu<T extends TfTensor>(tf: Tf, t: T): T {
  tf.tidy(() => tf.neg(t));
  return t;
}

/**
 * The peer's rotation sets: `base` and `sets - 1` scaled copies of it made on the GPU (distinct buffers with the
 * same shape; making hundreds of sets from host data would take longer than timing them).
 */
export function peerSets(tf: Tf, base: TfTensor, sets: number): TfTensor[] {
  onGpu(tf, base);
  return Array.from({ length: sets }, (_, k) => (k === 0 ? base : tf.tidy(() => tf.mul(base, 1 + k / 4096))));
}

/** NCHW host data as the peer's NHWC tensor. */
export function nhwc(tf: Tf, data: Float32Array, shape: readonly [number, number, number, number]): TfTensor {
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [...shape]), [0, 2, 3, 1]));
}

/** OIHW weights as tfjs's conv filter [KH, KW, I, O]. */
export function hwio(tf: Tf, data: Float32Array, shape: readonly [number, number, number, number]): TfTensor {
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, [...shape]), [2, 3, 1, 0]));
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
