/**
 * Which form of a vec4 elementwise pass this device streams fastest: `npx vite-node bench/copy_forms.ts [--rounds 7]`.
 * A copy, relu, relu's backward, an add and an in-place accumulate over 12 Mi floats, each written as a loop over 8
 * vec4s a thread strided by 64 threads (the form src/kernels/elementwise.ts had before), as one vec4 a thread at 64,
 * 128 and 256 threads a workgroup, and as 2 vec4s a thread unrolled; the forms take turns, buffers rotate through 3
 * sets, wall time of one dispatch (tens of milliseconds each, so the submission's cost is small beside it).
 */
import { parseArgs } from 'node:util';
import { createNodePlatform } from '../src/platform/node.js';

const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const N4 = 3 * 2 ** 20; // vec4s: 48 MiB a tensor
const SETS = 3;

interface Form { wg: number; items: number; body: string }
const LOOP_RETURN = (op: string): string => `
  let start = (wid.x + wid.y * nwg.x) * WG_X * ITEMS + lid;
  for (var k = 0u; k < ITEMS; k++) {
    let i = start + k * WG_X;
    if (i >= p.n4) { return; }
    ${op}
  }`;
const ONE = (op: string): string => `
  let i = (wid.x + wid.y * nwg.x) * WG_X + lid;
  if (i < p.n4) { ${op} }`;
const UNROLLED = (op: string, items: number): string => `
  let start = (wid.x + wid.y * nwg.x) * WG_X * ${items}u + lid;
  if (start + ${items - 1}u * WG_X < p.n4) {
${Array.from({ length: items }, (_, k) => `    { let i = start + ${k}u * WG_X; ${op} }`).join('\n')}
  } else {
    for (var k = 0u; k < ${items}u; k++) { let i = start + k * WG_X; if (i < p.n4) { ${op} } }
  }`;

function forms(op: string): Record<string, Form> {
  return {
    'loop of 8, 64 (before)': { wg: 64, items: 8, body: LOOP_RETURN(op) },
    'one a thread, 64': { wg: 64, items: 1, body: ONE(op) },
    'one a thread, 128': { wg: 128, items: 1, body: ONE(op) },
    'one a thread, 256': { wg: 256, items: 1, body: ONE(op) },
    'unrolled 128x2': { wg: 128, items: 2, body: UNROLLED(op, 2) },
  };
}

function shader(form: Form, inputs: number): string {
  return `
struct Params { n4: u32 }
override WG_X: u32 = ${form.wg}u;
override ITEMS: u32 = ${form.items}u;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
${inputs === 2 ? '@group(0) @binding(2) var<storage, read> b: array<vec4f>;' : ''}
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;
@compute @workgroup_size(WG_X)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {${form.body}
}`;
}

const platform = createNodePlatform();
const adapter = await platform.gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter');
const device = await adapter.requestDevice({
  requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize },
});
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(params, 0, new Uint32Array([N4, 0, 0, 0]));
const tensors = (fill: number) => Array.from({ length: SETS }, () => {
  const buf = device.createBuffer({ size: 16 * N4, usage });
  device.queue.writeBuffer(buf, 0, new Float32Array(4 * N4).fill(fill));
  return buf;
});
const as = tensors(1), bs = tensors(2), ys = tensors(0);

interface Run { name: string; op: string; pipeline: GPUComputePipeline; groups: number; inputs: number; ms: number[] }
const runs: Run[] = [];
const OPS = [
  ['copy', 1, 'y[i] = a[i];'],
  ['relu', 1, 'y[i] = max(a[i], vec4f(0.0));'],
  ['relu backward', 2, 'y[i] = select(vec4f(0.0), b[i], a[i] > vec4f(0.0));'],
  ['add', 2, 'y[i] = a[i] + b[i];'],
  ['accumulate', 1, 'y[i] = y[i] + a[i];'],
] as const;
for (const [op, inputs, code] of OPS) {
  for (const [name, form] of Object.entries(forms(code))) {
    const module = device.createShaderModule({ code: shader(form, inputs) });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    runs.push({ name, op, pipeline, groups: Math.ceil(N4 / (form.wg * form.items)), inputs, ms: [] });
  }
}

async function time(run: Run, set: number): Promise<number> {
  const entries: GPUBindGroupEntry[] = [
    { binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: as[set]! } },
    { binding: 3, resource: { buffer: ys[set]! } },
  ];
  if (run.inputs === 2) entries.push({ binding: 2, resource: { buffer: bs[set]! } });
  const bindGroup = device.createBindGroup({ layout: run.pipeline.getBindGroupLayout(0), entries });
  const start = performance.now();
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(run.pipeline);
  pass.setBindGroup(0, bindGroup);
  const rows = Math.ceil(run.groups / 65535);
  const x = Math.ceil(run.groups / rows);
  pass.dispatchWorkgroups(x, rows);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  return performance.now() - start;
}

for (const run of runs) await time(run, 0);
for (let r = 0; r < Number(opts.rounds); r++) {
  for (const run of runs) run.ms.push(await time(run, r % SETS));
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
console.log(`${adapter.info.description || adapter.info.device}; ${N4} vec4s, wall time of one dispatch, medians`);
console.log('| pass | form | ms | GB/s |');
console.log('| --- | --- | ---: | ---: |');
for (const run of runs) {
  const ms = median(run.ms);
  const moved = run.inputs + 1 + (run.op === 'accumulate' ? 1 : 0);
  console.log(`| ${run.op} | ${run.name} | ${ms.toFixed(1)} | ${((16 * N4 * moved) / ms / 1e6).toFixed(2)} |`);
}
device.destroy();
platform.release();
