/**
 * One WebGPU device and everything kernels share on it: the pipeline cache, the buffer pool, the uniform arena for
 * Params, and the command encoder that collects a whole step's dispatches into one submission. Errors from the
 * device (validation, out of memory, device loss) are collected and thrown at the next flush or read, naming the
 * labelled object (kernel or buffer) at fault.
 */
import type { Platform } from '../platform/platform.js';
import { BindGroupCache } from './bind_group_cache.js';
import { bindingBytes } from './binding_bytes.js';
import { BufferPool, type PoolStats } from './buffer_pool.js';
import { GpuError, NoAdapterError, NO_ADAPTER_HELP } from './errors.js';
import { adapterIdentity, KernelChoiceError, type KernelChoices } from './kernel_choices.js';
import { Profiler, type KernelTime } from './profiler.js';
import { StagingUploads } from './staging_uploads.js';
import { expandIncludes } from './wgsl_includes.js';
import { packParams, paramsSize, type KernelSpec, type ParamValues } from '../kernels/kernel.js';

const ARENA_BYTES = 64 * 1024;

export interface GpuOptions {
  powerPreference?: GPUPowerPreference;
  /** Fill every new op output with NaN before its kernel runs, so an element a kernel forgets to write fails tests. */
  poison?: boolean;
  /** Print one line per dispatch (kernel, grid); also on with CNNX_DEBUG=1. */
  debug?: boolean;
  /**
   * Plan and check storage bindings against this many bytes instead of the device's maxStorageBufferBindingSize
   * (never more; rounded down to a multiple of 256), so tests can make small tensors take the sliced paths.
   */
  maxBindingBytes?: number;
  /**
   * Plan grids against this many workgroups per dimension instead of the device's maxComputeWorkgroupsPerDimension
   * (never more), so tests can make small tensors take two-dimensional grids.
   */
  maxGroupsPerDim?: number;
  /**
   * Choose kernel variants and tilings as for this kind of device instead of the adapter's own kind, so tests on a
   * software adapter also run the choices a hardware GPU gets.
   */
  kernelsFor?: 'software' | 'hardware';
  /**
   * Variants measured fastest on this adapter (`cnnx tune`), consulted before the kernels' heuristics. A table
   * measured on another adapter is refused.
   */
  kernelChoices?: KernelChoices;
}

export interface DeviceInfo {
  platform: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
  isSoftware: boolean;
  features: string[];
  limits: Record<string, number>;
}

/** A whole buffer, or a byte range of one (offset a multiple of minStorageBufferOffsetAlignment, 256 at most). */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

interface ParamArena {
  buffer: GPUBuffer;
  bytes: Uint8Array;
  view: DataView;
  used: number;
}

/** Uploads from this size go through staging buffers on a hardware GPU (a batch of images; not labels or params). */
const STAGED_UPLOAD_MIN_BYTES = 1 << 18;
/** Staging memory held for uploads at most: a few dozen training batches in flight. */
const STAGING_MAX_BYTES = 256 << 20;

export class Gpu {
  readonly pool: BufferPool;
  readonly limits: GPUSupportedLimits;
  readonly hasTimestamps: boolean;
  /** Whether shaders may `enable subgroups` with subgroups of at least 8 lanes (kernels that need it check this). */
  readonly hasSubgroups: boolean;
  /** A software rasterizer (lavapipe, SwiftShader): kernels pick variants that suit CPU cores (see conv2d.ts). */
  readonly isSoftware: boolean;
  /** Tuned variants for this adapter (see GpuOptions.kernelChoices); null: the kernels' heuristics alone. */
  kernelChoices: KernelChoices | null = null;
  poison: boolean;
  debug: boolean;

  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** The pipeline of each kernel spec once built: a dispatch then costs no key building (specs are long-lived). */
  private readonly specPipelines = new WeakMap<KernelSpec, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  /** The bind group layout of each kernel spec once looked up (saves building its key per dispatch). */
  private readonly specLayouts = new WeakMap<KernelSpec, GPUBindGroupLayout>();
  private readonly bindGroups: BindGroupCache;
  private readonly staging: StagingUploads;
  private encoder: GPUCommandEncoder | null = null;
  /**
   * While the open encoder holds nothing but staged uploads' copies, the buffers they write: a writeBuffer into
   * another buffer may then go ahead of them without a submit of its own. Null once anything else is recorded.
   */
  private uploadTargets: Set<GPUBuffer> | null = null;
  private pass: GPUComputePassEncoder | null = null;
  /** The pipeline last set on `pass`: setting it again for the next dispatch would be a wasted call into Dawn. */
  private passPipeline: GPUComputePipeline | null = null;
  private readonly arenas: ParamArena[] = [];
  private arenaIndex = 0;
  private readonly errors: string[] = [];
  private lostMessage: string | null = null;
  private lastKernel = '(none)';
  private dispatchCount = 0;
  private submitCount = 0;
  private destroyed = false;
  private profiler: Profiler | null = null;
  private readonly maxGroupsPerDim: number;
  private readonly maxBindingBytes: number;
  private readonly uniformAlign: number;

  private constructor(
    readonly device: GPUDevice,
    readonly info: DeviceInfo,
    private readonly platform: Platform,
    options: GpuOptions,
  ) {
    // A plain copy: the ops read limits on every call, and each read of Dawn's object is a getter into native code.
    this.limits = withLoweredLimits(device.limits, options);
    this.maxGroupsPerDim = this.limits.maxComputeWorkgroupsPerDimension;
    this.maxBindingBytes = this.limits.maxStorageBufferBindingSize;
    this.uniformAlign = this.limits.minUniformBufferOffsetAlignment;
    this.bindGroups = new BindGroupCache(device);
    this.staging = new StagingUploads(device, STAGING_MAX_BYTES);
    this.hasTimestamps = device.features.has('timestamp-query');
    this.hasSubgroups = device.features.has('subgroups') && (device.adapterInfo?.subgroupMinSize ?? 0) >= 8;
    this.isSoftware = options.kernelsFor === undefined ? info.isSoftware : options.kernelsFor === 'software';
    this.poison = options.poison ?? false;
    this.debug = options.debug ?? envFlag('CNNX_DEBUG');
    this.pool = new BufferPool(device, device.limits.maxBufferSize);
    device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
      this.errors.push(`${event.error.constructor.name}: ${event.error.message} (last kernel: ${this.lastKernel})`);
    };
    void device.lost.then((lost) => {
      if (!this.destroyed) this.lostMessage = `GPU device lost (${lost.reason}): ${lost.message}; last kernel: ${this.lastKernel}`;
    });
  }

  /** Opens the best adapter with its full limits (buffer and binding sizes default far below what GPUs allow). */
  static async create(platform: Platform, options: GpuOptions = {}): Promise<Gpu> {
    checkLimitOptions(options); // before any device exists: one left open keeps the process alive
    const adapter = await platform.gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
    if (!adapter) {
      platform.release();
      throw new NoAdapterError(NO_ADAPTER_HELP);
    }
    const wanted: (keyof GPUSupportedLimits)[] = [
      'maxBufferSize',
      'maxStorageBufferBindingSize',
      'maxComputeWorkgroupStorageSize',
      'maxComputeInvocationsPerWorkgroup',
      'maxComputeWorkgroupSizeX',
      'maxComputeWorkgroupSizeY',
      'maxComputeWorkgroupSizeZ',
      'maxStorageBuffersPerShaderStage',
      'maxComputeWorkgroupsPerDimension',
    ];
    const requiredLimits: Record<string, number> = {};
    for (const key of wanted) requiredLimits[key] = adapter.limits[key] as number;
    const requiredFeatures = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({ label: 'cnnx', requiredLimits, requiredFeatures });
    const gpu = new Gpu(device, describe(platform, adapter), platform, options);
    if (options.kernelChoices) {
      try {
        gpu.useKernelChoices(options.kernelChoices);
      } catch (error) {
        await gpu.sync(); // see destroy(): even a new device's setup work must finish first
        gpu.destroy(); // a device left open keeps the process alive
        throw error;
      }
    }
    return gpu;
  }

  /** Consults `choices` from now on (null: heuristics only); refuses a table measured on another adapter. */
  useKernelChoices(choices: KernelChoices | null): void {
    if (choices && !choices.matches(adapterIdentity(this.info))) {
      throw new KernelChoiceError(
        `kernel choices measured on "${choices.adapter.description || choices.adapter.device}" (${choices.adapter.vendor}) ` +
          `do not apply to this adapter, "${this.info.description || this.info.device}" (${this.info.vendor})`,
      );
    }
    this.kernelChoices = choices;
  }

  // ---------------------------------------------------------------- buffers

  /** A pooled storage buffer; `label` should say which kernel output it is ("conv2d.forward:y"). */
  alloc(bytes: number, label: string): GPUBuffer {
    this.assertUsable();
    return this.pool.acquire(bytes, label);
  }

  free(buffer: GPUBuffer): void {
    this.pool.release(buffer);
  }

  poolStats(): PoolStats {
    return this.pool.getStats();
  }

  /**
   * Copies host data into a buffer, ordered after every dispatch already recorded (which it submits: a training step
   * goes to the GPU when the next one uploads its batch). On a hardware GPU large arrays go through staging buffers
   * (StagingUploads) and a copy recorded first in the next submission.
   */
  upload(buffer: GPUBuffer, data: Float32Array | Uint32Array | Int32Array, byteOffset = 0): void {
    this.assertUsable();
    // writeBuffer would otherwise overtake recorded work that still uses the buffer. Recorded uploads into other
    // buffers are not such work: a step's labels after its staged batch need no submit of their own.
    if (this.encoder && !(this.uploadTargets && !this.uploadTargets.has(buffer))) this.flush();
    const staging = !this.isSoftware && data.byteLength >= STAGED_UPLOAD_MIN_BYTES ? this.staging.write(data) : null;
    if (staging) {
      const targets = this.encoder ? this.uploadTargets : new Set<GPUBuffer>();
      this.getEncoder().copyBufferToBuffer(staging, 0, buffer, byteOffset, data.byteLength);
      this.uploadTargets = targets?.add(buffer) ?? null;
    } else {
      this.device.queue.writeBuffer(buffer, byteOffset, data.buffer, data.byteOffset, data.byteLength);
    }
  }

  /** Records a buffer-to-buffer copy in order with the dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.endPass();
    this.getEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  /** Reads `bytes` from `buffer` back to the host (flushes pending work). */
  async read(buffer: GPUBuffer, bytes: number, byteOffset = 0): Promise<Float32Array> {
    const staging = this.device.createBuffer({
      size: Math.ceil(bytes / 4) * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      label: `read:${buffer.label}`,
    });
    try {
      this.copy(buffer, byteOffset, staging, 0, Math.ceil(bytes / 4) * 4);
      this.flush();
      await this.waitFor(staging.mapAsync(GPUMapMode.READ));
      this.throwPendingErrors();
      return new Float32Array(staging.getMappedRange().slice(0, bytes));
    } catch (error) {
      this.throwPendingErrors();
      throw error;
    } finally {
      staging.destroy();
    }
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * Records one dispatch of `spec` on `buffers` (in the spec's binding order) with `params`; the spec sizes the grid.
   * This runs for every dispatch of a step, so it allocates little and calls into Dawn only for what changes.
   */
  run<P extends string>(
    spec: KernelSpec<P>,
    params: ParamValues<P>,
    buffers: readonly Binding[],
  ): void {
    this.assertUsable();
    const maxGroups = this.maxGroupsPerDim;
    const grid = spec.grid(params, maxGroups);
    if (buffers.length !== spec.bindings.length) {
      throw new GpuError(`${spec.name}: got ${buffers.length} buffers for ${spec.bindings.length} bindings`);
    }
    const [x, y, z] = grid;
    if (!(validGroups(x, maxGroups) && validGroups(y, maxGroups) && validGroups(z, maxGroups))) {
      throw new GpuError(`${spec.name}: grid [${grid.join(', ')}] exceeds ${maxGroups} workgroups per dimension`);
    }
    if (x * y * z === 0) return;
    for (let i = 0; i < buffers.length; i++) {
      const size = bindingBytes(buffers[i]!);
      if (size > this.maxBindingBytes) {
        throw new GpuError(
          `${spec.name}: binding "${spec.bindings[i]!.name}" is ${size} bytes, over this device's ` +
            `maxStorageBufferBindingSize of ${this.maxBindingBytes}; the tensor must be processed in slices`,
        );
      }
    }

    const pipeline = this.pipeline(spec);
    const offset = this.writeParams(spec, params);
    const uniform = this.arenas[this.arenaIndex]!.buffer;
    const bindGroup = this.bindGroups.get(spec.name, this.layout(spec), uniform, paramsSize(spec), buffers);
    const timestampWrites = this.profiler?.next(spec.name);
    if (timestampWrites) {
      this.endPass();
      const pass = this.getEncoder().beginComputePass({ label: spec.name, timestampWrites });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup, [offset]);
      pass.dispatchWorkgroups(x, y, z);
      pass.end();
    } else {
      const pass = this.getPass();
      if (this.passPipeline !== pipeline) {
        pass.setPipeline(pipeline);
        this.passPipeline = pipeline;
      }
      pass.setBindGroup(0, bindGroup, [offset]);
      pass.dispatchWorkgroups(x, y, z);
    }
    this.lastKernel = spec.name;
    this.dispatchCount++;
    if (this.debug) console.error(`[cnnx] #${this.dispatchCount} ${spec.name} grid=${grid.join('x')}`);
  }

  /** Submits everything recorded so far as one command buffer; throws errors the device reported. */
  flush(): void {
    this.throwPendingErrors();
    if (!this.encoder) return;
    this.endPass();
    for (const arena of this.arenas.slice(0, this.arenaIndex + 1)) {
      if (arena.used > 0) this.device.queue.writeBuffer(arena.buffer, 0, arena.bytes.buffer, 0, arena.used);
      arena.used = 0;
    }
    this.arenaIndex = 0;
    this.profiler?.resolve(this.encoder);
    this.device.queue.submit([this.encoder.finish()]);
    this.submitCount++;
    this.encoder = null;
    this.uploadTargets = null;
    this.staging.submitted();
  }

  /** Waits until the GPU has finished everything submitted, then reports any error it raised. */
  async sync(): Promise<void> {
    this.flush();
    await this.waitFor(this.device.queue.onSubmittedWorkDone());
    await this.staging.settled(); // so a destroy() after sync() leaves no map request behind
    this.throwPendingErrors();
  }

  /** Awaits GPU work; on a software adapter without taking a CPU core from the driver that runs it. */
  private waitFor<T>(work: Promise<T>): Promise<T> {
    return this.info.isSoftware && this.platform.waitGently ? this.platform.waitGently(work) : work;
  }

  /** From now on each dispatch is timed on the GPU with timestamp queries (needs the 'timestamp-query' feature). */
  startProfiling(): void {
    if (!this.hasTimestamps) throw new GpuError('this adapter has no timestamp queries; kernels cannot be timed on the GPU');
    this.flush();
    this.profiler ??= new Profiler(this.device);
  }

  /** Stops timing and returns the GPU time of every dispatch since startProfiling(), in order. */
  async stopProfiling(): Promise<KernelTime[]> {
    if (!this.profiler) return [];
    await this.sync();
    const times = await this.profiler.collect();
    this.profiler.destroy();
    this.profiler = null;
    return times;
  }

  /** Number of dispatches recorded since the device was opened. */
  get dispatches(): number {
    return this.dispatchCount;
  }

  /** Command buffers submitted so far (each costs the host a call into the driver). */
  get submits(): number {
    return this.submitCount;
  }

  /**
   * Frees the device and the host's hold on it so the process can exit. Await sync() first: destroying the device
   * with uploads or dispatches still queued crashes Dawn on lavapipe at exit now and then (abort, segfault, hang).
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = null;
    this.pass = null;
    this.passPipeline = null;
    this.pool.trim();
    this.staging.destroy();
    this.device.destroy();
    this.platform.release();
  }

  // ---------------------------------------------------------------- internals

  private pipeline(spec: KernelSpec): GPUComputePipeline {
    const built = this.specPipelines.get(spec);
    if (built) return built;
    const constants = this.overrides(spec);
    const key = `${spec.shader}|${JSON.stringify(constants)}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      const code = this.shaderCode(spec.shader);
      if (envFlag('CNNX_DUMP_WGSL')) console.error(`[cnnx] ${spec.name} (${spec.shader}.wgsl)\n${code}`);
      const module = this.device.createShaderModule({ label: spec.name, code });
      pipeline = this.device.createComputePipeline({
        label: spec.name,
        layout: this.device.createPipelineLayout({ label: spec.name, bindGroupLayouts: [this.layout(spec)] }),
        compute: { module, entryPoint: 'main', constants },
      });
      this.pipelines.set(key, pipeline);
    }
    this.specPipelines.set(spec, pipeline);
    return pipeline;
  }

  /** The shader's text with its `//!include` lines expanded (see wgsl_includes.ts). */
  private shaderCode(path: string): string {
    return expandIncludes(this.platform.loadShader(path), (included) => this.platform.loadShader(included));
  }

  private overrides(spec: KernelSpec): Record<string, number> {
    const code = this.shaderCode(spec.shader);
    const constants: Record<string, number> = { ...spec.constants };
    (['WG_X', 'WG_Y', 'WG_Z'] as const).forEach((name, i) => {
      if (new RegExp(`override\\s+${name}\\b`).test(code)) constants[name] = spec.workgroupSize[i]!;
    });
    return constants;
  }

  private layout(spec: KernelSpec): GPUBindGroupLayout {
    const known = this.specLayouts.get(spec);
    if (known) return known;
    const key = layoutKey(spec);
    let layout = this.layouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: `layout(${key})`,
        entries: [
          // Params: one arena slot per dispatch, chosen by a dynamic offset so bind groups can be reused.
          { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
          ...spec.bindings.map((b, i) => ({
            binding: i + 1,
            visibility: GPUShaderStage.COMPUTE,
            buffer: { type: b.access === 'read' ? ('read-only-storage' as const) : ('storage' as const) },
          })),
        ],
      });
      this.layouts.set(key, layout);
    }
    this.specLayouts.set(spec, layout);
    return layout;
  }

  /**
   * Params go into a slot of a uniform arena; arenas are written just before their submission. Returns the slot's
   * offset in the arena now current (`this.arenas[this.arenaIndex]`).
   */
  private writeParams<P extends string>(spec: KernelSpec<P>, params: ParamValues<P>): number {
    const size = paramsSize(spec);
    const align = this.uniformAlign;
    let arena = this.arenas[this.arenaIndex];
    if (arena && Math.ceil(arena.used / align) * align + size > ARENA_BYTES) {
      this.arenaIndex++;
      arena = this.arenas[this.arenaIndex];
    }
    if (!arena) {
      const bytes = new Uint8Array(ARENA_BYTES);
      arena = {
        buffer: this.device.createBuffer({
          size: ARENA_BYTES,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
          label: `params arena ${this.arenas.length}`,
        }),
        bytes,
        view: new DataView(bytes.buffer),
        used: 0,
      };
      this.arenas.push(arena);
    }
    const offset = Math.ceil(arena.used / align) * align;
    packParams(spec, params, arena.view, offset);
    arena.used = offset + size;
    return offset;
  }

  /** The open command encoder, for recording something other than an upload (see uploadTargets). */
  private getEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'cnnx step' });
    this.uploadTargets = null;
    return this.encoder;
  }

  private getPass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.getEncoder().beginComputePass({ label: 'cnnx compute' });
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
    this.passPipeline = null;
  }

  private assertUsable(): void {
    if (this.destroyed) throw new GpuError('the GPU device was already destroyed');
    if (this.lostMessage) throw new GpuError(this.lostMessage);
  }

  private throwPendingErrors(): void {
    if (this.lostMessage) throw new GpuError(this.lostMessage);
    if (this.errors.length > 0) {
      const messages = this.errors.splice(0);
      throw new GpuError(messages.join('\n'));
    }
  }
}

function describe(platform: Platform, adapter: GPUAdapter): DeviceInfo {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') limits[key] = value;
  }
  const extra = info as unknown as { isFallbackAdapter?: boolean };
  const description = info.description ?? '';
  const isSoftware =
    /llvmpipe|lavapipe|swiftshader|software/i.test(`${description} ${info.device} ${info.architecture}`) ||
    extra.isFallbackAdapter === true;
  return {
    platform: platform.name,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description,
    backend: platform.backend,
    isSoftware,
    features: [...adapter.features].map(String).sort(),
    limits,
  };
}

/** Refuses a maxBindingBytes under 256 or a maxGroupsPerDim under 1 (or either not an integer). */
function checkLimitOptions({ maxBindingBytes, maxGroupsPerDim }: GpuOptions): void {
  if (maxBindingBytes !== undefined && !(Number.isInteger(maxBindingBytes) && maxBindingBytes >= 256)) {
    throw new RangeError(`maxBindingBytes must be an integer of at least 256, got ${maxBindingBytes}`);
  }
  if (maxGroupsPerDim !== undefined && !(Number.isInteger(maxGroupsPerDim) && maxGroupsPerDim >= 1)) {
    throw new RangeError(`maxGroupsPerDim must be a positive integer, got ${maxGroupsPerDim}`);
  }
}

/**
 * A plain, frozen copy of `limits` with maxStorageBufferBindingSize lowered to maxBindingBytes (rounded down to a
 * multiple of 256) and maxComputeWorkgroupsPerDimension to maxGroupsPerDim, each if given and lower (checked by
 * checkLimitOptions).
 */
function withLoweredLimits(
  limits: GPUSupportedLimits,
  { maxBindingBytes, maxGroupsPerDim }: GpuOptions,
): GPUSupportedLimits {
  const copy: Record<string, number> = {};
  for (const key in limits) copy[key] = (limits as unknown as Record<string, number>)[key]!;
  if (maxBindingBytes !== undefined) {
    copy.maxStorageBufferBindingSize =
      Math.floor(Math.min(maxBindingBytes, limits.maxStorageBufferBindingSize) / 256) * 256;
  }
  if (maxGroupsPerDim !== undefined) {
    copy.maxComputeWorkgroupsPerDimension = Math.min(maxGroupsPerDim, limits.maxComputeWorkgroupsPerDimension);
  }
  return Object.freeze(copy) as unknown as GPUSupportedLimits;
}

/** A workgroup count a dispatch may use: an integer in [0, maxPerDim]. */
function validGroups(groups: number, maxPerDim: number): boolean {
  return Number.isInteger(groups) && groups >= 0 && groups <= maxPerDim;
}

/** Bind group layouts differ only in their storage bindings' access modes. */
function layoutKey(spec: KernelSpec): string {
  return spec.bindings.map((b) => b.access).join(',');
}

function envFlag(name: string): boolean {
  const env = (globalThis as unknown as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name];
  return value !== undefined && value !== '' && value !== '0';
}
