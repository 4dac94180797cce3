import { describe, expect, it } from 'vitest';
import { backward } from '../../src/graph/autograd.js';
import { conv2d, conv2dGeometry, type Conv2dOptions } from '../../src/graph/ops/conv2d.js';
import { tidy } from '../../src/graph/scope.js';
import { Tensor } from '../../src/graph/tensor.js';
import { chooseConv2dVariant, conv2dChoiceKey, heuristicConv2dVariant, type Conv2dVariant } from '../../src/kernels/conv2d.js';
import { createNodePlatform } from '../../src/platform/node.js';
import { Gpu } from '../../src/runtime/gpu.js';
import { adapterIdentity, KernelChoiceError, KernelChoices } from '../../src/runtime/kernel_choices.js';
import { expectClose } from '../helpers/compare.js';
import { ownTestGpu } from '../helpers/gpu.js';
import { FORWARD_KERNELS, weightGradientKernel } from '../helpers/conv2d_kernels.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';

/** Runs the case's forward and backward with `choices`, returning the kernels that ran; checks every output. */
async function runCase(gpu: Gpu, c: RefCase, choices: KernelChoices | null): Promise<string[]> {
  gpu.useKernelChoices(choices);
  const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
  const w = Tensor.fromData(gpu, c.t('w').data, c.t('w').shape);
  const b = Tensor.fromData(gpu, c.t('b').data, c.t('b').shape);
  for (const t of [x, w, b]) t.requiresGrad = true;
  const dy = Tensor.fromData(gpu, c.t('dy').data, c.t('dy').shape);
  gpu.startProfiling();
  const y = tidy(() => {
    const out = conv2d(x, w, b, c.attrs as Conv2dOptions);
    backward(out, dy);
    return out;
  });
  const kernels = (await gpu.stopProfiling()).map((k) => k.name);
  expectClose('y', await y.read(), c.t('y').data, c.t('y').shape);
  expectClose('dx', await x.grad!.read(), c.t('dx').data, c.t('dx').shape);
  expectClose('dw', await w.grad!.read(), c.t('dw').data, c.t('dw').shape);
  [x, w, b, dy, y].forEach((t) => t.dispose());
  gpu.useKernelChoices(null);
  return kernels;
}

describe('conv2d kernel choices', () => {
  const c = loadCases('conv2d').find((k) => k.name === 'many_tiles')!;
  const geometry = conv2dGeometry(c.t('x').shape, c.t('w').shape, c.t('b').shape, c.attrs as Conv2dOptions);

  /** The rules' picks for this device (software devices: 'subgroup' for both). */
  function heuristics(gpu: Gpu): { forward: Conv2dVariant; weight: Conv2dVariant } {
    const forward = heuristicConv2dVariant('forward', geometry, gpu);
    const weight = heuristicConv2dVariant('backwardWeight', geometry, gpu);
    if (gpu.isSoftware) expect([forward, weight]).toEqual(['subgroup', 'subgroup']);
    return { forward, weight };
  }

  it('runs the tuned variant of each pass, with the same results as the heuristics', async () => {
    const gpu = await ownTestGpu();
    const rule = heuristics(gpu);
    const heuristic = await runCase(gpu, c, null);
    expect(heuristic).toContain(FORWARD_KERNELS[rule.forward]);
    expect(heuristic).toContain(weightGradientKernel(rule.weight, geometry, gpu.isSoftware));

    // Tuned to variants the rules did not pick.
    const forward = rule.forward === 'gemm' ? 'direct' : 'gemm';
    const weight = rule.weight === 'gemm' ? 'direct' : 'gemm';
    const tuned = new KernelChoices(adapterIdentity(gpu.info), [
      [conv2dChoiceKey('forward', geometry), forward],
      [conv2dChoiceKey('backwardWeight', geometry), weight],
      [conv2dChoiceKey('backwardInput', geometry), 'direct'],
    ]);
    const kernels = await runCase(gpu, c, tuned);
    expect(kernels).toContain(FORWARD_KERNELS[forward]);
    expect(kernels).toContain(weightGradientKernel(weight, geometry, gpu.isSoftware));
    expect(kernels).toContain('conv2d.backward_input');
    expect(kernels).not.toContain(FORWARD_KERNELS[rule.forward]);
    expect(kernels).not.toContain(weightGradientKernel(rule.weight, geometry, gpu.isSoftware));
  });

  it('ignores a tuned variant that does not handle the shape, or that the pass does not have', async () => {
    const gpu = await ownTestGpu();
    const tuned = new KernelChoices(adapterIdentity(gpu.info), [
      [conv2dChoiceKey('forward', geometry), 'pointwise'], // a 3x3 kernel: pointwise does not apply
      [conv2dChoiceKey('backwardWeight', geometry), 'winograd'],
    ]);
    const kernels = await runCase(gpu, c, tuned);
    const rule = heuristics(gpu);
    expect(kernels).toContain(FORWARD_KERNELS[rule.forward]);
    expect(kernels).toContain(weightGradientKernel(rule.weight, geometry, gpu.isSoftware));
  });

  it('records the shapes asked about while collecting, including the forward conv an input gradient runs', async () => {
    const gpu = await ownTestGpu();
    const collector = new KernelChoices(adapterIdentity(gpu.info));
    collector.collecting = true;
    await runCase(gpu, c, collector);
    const passes = [...collector.asked.values()].map((s) => (s as { pass: string }).pass);
    expect(passes.sort()).toEqual(['backwardInput', 'backwardWeight', 'forward', 'forward']);
    expect(collector.asked.has(conv2dChoiceKey('forward', geometry))).toBe(true);
    const device = { hasSubgroups: gpu.hasSubgroups, isSoftware: gpu.isSoftware, kernelChoices: collector };
    expect(chooseConv2dVariant('forward', geometry, device)).toBe(heuristics(gpu).forward); // nothing tuned
  });

  it('refuses a table measured on another adapter', async () => {
    const gpu = await ownTestGpu();
    const other = new KernelChoices({ ...adapterIdentity(gpu.info), device: 'another GPU', description: 'Another GPU' });
    expect(() => gpu.useKernelChoices(other)).toThrow(KernelChoiceError);
    expect(() => gpu.useKernelChoices(other)).toThrow(/measured on "Another GPU".*do not apply to this adapter/);
    expect(gpu.kernelChoices).toBe(null);
    await expect(Gpu.create(createNodePlatform(), { kernelChoices: other })).rejects.toThrow(/do not apply to this adapter/);
    const own = new KernelChoices(adapterIdentity(gpu.info), [['k', 'gemm']]);
    const opened = await Gpu.create(createNodePlatform(), { kernelChoices: own });
    expect(opened.kernelChoices).toBe(own);
    await opened.sync();
    opened.destroy();
  });
});

describe('KernelChoices files', () => {
  const adapter = { vendor: 'v', architecture: 'a', device: 'd', description: 'D', backend: 'vulkan' };

  it('round-trips through JSON, entries sorted', () => {
    const table = new KernelChoices(adapter, [['b key', 'gemm'], ['a key', 'subgroup']]);
    const json = JSON.parse(JSON.stringify(table.toJSON(new Date('2026-01-02T03:04:05Z'))));
    expect(json.measured).toBe('2026-01-02T03:04:05.000Z');
    expect(Object.keys(json.choices)).toEqual(['a key', 'b key']);
    const back = KernelChoices.fromJSON(json, 'choices.json');
    expect(back.entries()).toEqual([['a key', 'subgroup'], ['b key', 'gemm']]);
    expect(back.matches(adapter)).toBe(true);
  });

  it('names the file and the field at fault', () => {
    const good = new KernelChoices(adapter, [['k', 'gemm']]).toJSON();
    const bad = (patch: Record<string, unknown>) => () => KernelChoices.fromJSON({ ...good, ...patch }, '/tmp/t.json');
    expect(bad({ format: 'other' })).toThrow('/tmp/t.json: "format" is "other"');
    expect(bad({ version: 7 })).toThrow('/tmp/t.json: "version" is 7; this cnnx reads version 1');
    expect(bad({ adapter: { ...adapter, device: 3 } })).toThrow('"adapter.device" is not a string');
    expect(bad({ choices: { k: 5 } })).toThrow('choice "k" is 5, not a variant name');
    expect(() => KernelChoices.fromJSON([], 'x.json')).toThrow('x.json: "format" is undefined');
  });
});
