/**
 * What one load costs on this device, in vec4 FMAs: `npx vite-node bench/load_costs.ts [--rounds 5]`.
 * Each thread runs ITERS rounds of 8 independent vec4 FMA chains, 4 FMAs each (32 a round, the roof kernel's
 * pattern), fed by a value that sums LOADS loads of one kind; the baseline computes that value without memory. The
 * kinds take turns, so the host's drift hits them alike. Per load: (time of the kind - the baseline) / (threads x
 * ITERS x LOADS), also as a multiple of one vec4 FMA of the baseline (its time / (threads x ITERS x 32); the baseline
 * is not quite FMA-bound, so the multiples read a little low). The kernels' comments quote these: under lavapipe a
 * load is paid per lane and component, whatever the address, and a subgroup broadcast of a register almost nothing.
 */
import { parseArgs } from 'node:util';
import { createNodePlatform } from '../src/platform/node.js';

const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const WG = 64;
const GROUPS = 512;
const ITERS = 2048;
const LOADS = 4;
const SOURCE_FLOATS = 65536;

/** The value a round's FMAs take, summed from LOADS loads of one kind (l: which load of the round). */
const KINDS: Record<string, (l: number) => string> = {
  none: (l) => `f32(k + ${l}u)`,
  storage: (l) => `src[(k * 64u + lid * ${LOADS}u + ${l}u) & 65535u]`,
  'storage, one address': (l) => `src[(k * 64u + ${l}u) & 65535u]`,
  'storage vec4': (l) => `dot(src4[(k * 16u + lid * ${LOADS}u + ${l}u) & 16383u], vec4f(1.0))`,
  workgroup: (l) => `sh[(k * 64u + lid * ${LOADS}u + ${l}u) & 4095u]`,
  'workgroup, one address': (l) => `sh[(k * 64u + ${l}u) & 4095u]`,
  'function array': (l) => `pr[(k + lid + ${l}u) & 63u]`,
  uniform: (l) => `u[(k * 8u + lid + ${l}u) & 1023u].x`,
  'subgroup broadcast': (l) => `subgroupBroadcast(f32(k) + c${l}.x, ${l}u)`,
};

function shader(kind: string, subgroups: boolean): string {
  const load = KINDS[kind]!;
  const sum = Array.from({ length: LOADS }, (_, l) => `    t += ${load(l)};`).join('\n');
  const fmas = Array.from({ length: 4 }, () =>
    Array.from({ length: 8 }, (_, c) => `    c${c} = fma(c${c}, a, b);`).join('\n')).join('\n');
  return `${subgroups ? 'enable subgroups;' : ''}
struct P { iters: u32, a: f32, b: f32, pad: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> src4: array<vec4f>;
@group(0) @binding(3) var<uniform> u: array<vec4f, 1024>;
@group(0) @binding(4) var<storage, read_write> y: array<vec4f>;
var<workgroup> sh: array<f32, 4096>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  for (var j = lid; j < 4096u; j += ${WG}u) { sh[j] = src[j]; }
  workgroupBarrier();
  var pr: array<f32, 64>;
  for (var j = 0u; j < 64u; j++) { pr[j] = src[j + lid]; }
  let a = vec4f(p.a);
  var b = vec4f(p.b);
  var c0 = vec4f(f32(lid));
  var c1 = c0 + 1.0; var c2 = c0 + 2.0; var c3 = c0 + 3.0; var c4 = c0 + 4.0; var c5 = c0 + 5.0; var c6 = c0 + 6.0;
  var c7 = c0 + 7.0;
  for (var k = 0u; k < p.iters; k++) {
    var t = 0.0;
${sum}
    b = vec4f(t);
${fmas}
  }
  y[wid.x * ${WG}u + lid] = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
}
`;
}

const platform = createNodePlatform();
const adapter = await platform.gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter');
const subgroups = adapter.features.has('subgroups');
const device = await adapter.requestDevice({ requiredFeatures: subgroups ? ['subgroups' as GPUFeatureName] : [] });
const info = adapter.info;
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
const buffer = (bytes: number, use: number, data?: ArrayBufferView): GPUBuffer => {
  const b = device.createBuffer({ size: bytes, usage: use });
  if (data) device.queue.writeBuffer(b, 0, data);
  return b;
};
const params = new ArrayBuffer(16);
new Uint32Array(params, 0, 1)[0] = ITERS;
new Float32Array(params, 4, 2).set([1 - 2 ** -20, 2 ** -20]);
const buffers = [
  buffer(16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, new Uint8Array(params)),
  buffer(4 * (SOURCE_FLOATS + 128), usage, new Float32Array(SOURCE_FLOATS + 128).fill(0.5)),
  buffer(4 * SOURCE_FLOATS, usage, new Float32Array(SOURCE_FLOATS).fill(0.25)),
  buffer(16 * 1024, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, new Float32Array(4096).fill(0.125)),
  buffer(16 * WG * GROUPS, GPUBufferUsage.STORAGE),
];
const layout = device.createBindGroupLayout({
  entries: (['uniform', 'read-only-storage', 'read-only-storage', 'uniform', 'storage'] as const).map((type, binding) => ({
    binding, visibility: GPUShaderStage.COMPUTE, buffer: { type },
  })),
});
const bindGroup = device.createBindGroup({
  layout, entries: buffers.map((b, binding) => ({ binding, resource: { buffer: b } })),
});

async function timeOnce(pipeline: GPUComputePipeline): Promise<number> {
  const start = performance.now();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(GROUPS);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

const kinds = Object.keys(KINDS).filter((k) => subgroups || k !== 'subgroup broadcast');
const runs = [];
for (const kind of kinds) {
  const module = device.createShaderModule({ code: shader(kind, subgroups) });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipeline = await device.createComputePipelineAsync({ layout: pipelineLayout, compute: { module, entryPoint: 'main' } });
  await timeOnce(pipeline); // warm-up
  runs.push({ kind, pipeline, ms: [] as number[] });
}
for (let r = 0; r < Number(opts.rounds); r++) {
  for (const run of runs) run.ms.push(await timeOnce(run.pipeline));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const threads = WG * GROUPS;
const baseline = median(runs[0]!.ms);
const fmaNs = (baseline * 1e6) / (threads * ITERS * 32);
console.log(`${info.description || info.device} (${info.vendor}); ${threads} threads x ${ITERS} rounds x ${LOADS} loads`);
console.log('| load | ms | ns a load (all threads at once) | vec4 FMAs |');
console.log('| --- | ---: | ---: | ---: |');
for (const run of runs) {
  const ms = median(run.ms);
  const perLoad = ((ms - baseline) * 1e6) / (threads * ITERS * LOADS);
  console.log(`| ${run.kind} | ${ms.toFixed(1)} | ${perLoad.toFixed(3)} | ${(perLoad / fmaNs).toFixed(1)} |`);
}
device.destroy();
platform.release();
