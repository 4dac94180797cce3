import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.js';
import { AdaptiveAvgPool2d } from '../../src/graph/modules/adaptive_avgpool2d.js';
import { Conv2d } from '../../src/graph/modules/conv2d.js';
import { Linear } from '../../src/graph/modules/linear.js';
import { Module } from '../../src/graph/modules/module.js';
import { relu } from '../../src/graph/ops/relu.js';
import { flatten } from '../../src/graph/ops/reshape.js';
import { Tensor } from '../../src/graph/tensor.js';
import { encodeGrayPng } from '../../src/io/png_write.js';
import type { WeightMap } from '../../src/io/weight_tensor.js';
import { runCamUpsample } from '../../src/kernels/cam_upsample.js';
import type { Classifier, InputSpec } from '../../src/models/classifier.js';
import { Cnnx, CNNX_PAPER } from '../../src/models/cnnx.js';
import { modelEntry } from '../../src/models/registry.js';
import type { Gpu } from '../../src/runtime/gpu.js';
import { colormapTable } from '../../src/train/cam/colormap.js';
import { lungFraction, normalizeMap, summarizeLungFractions } from '../../src/train/cam/energy.js';
import { CamError, findLayer } from '../../src/train/cam/layers.js';
import { computeCams, resolveClass, type CamRequest } from '../../src/train/cam/maps.js';
import { renderReport } from '../../src/train/cam/report.js';
import { camImages } from '../../src/train/cam/run.js';
import { collectCamSources, labelOf } from '../../src/train/cam/sources.js';
import { evaluate } from '../../src/train/metrics.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { testGpu } from '../helpers/gpu.js';

const cases = loadCases('cam');
const byName = (name: string): RefCase => cases.find((c) => c.name === name)!;

/** The reference's TinyGap: conv1 -> ReLU -> conv2 (stride 2) -> ReLU = features, then GAP + linear. */
class TinyGap extends Module implements Classifier {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly pool = new AdaptiveAvgPool2d(1);
  readonly fc: Linear;
  readonly input: InputSpec = { channels: 1, height: 12, width: 12, mean: [0], std: [1] };

  constructor(gpu: Gpu, readonly numClasses: number) {
    super();
    const ctx = { gpu, rng: createRng(1) };
    this.conv1 = this.registerModule('conv1', new Conv2d(ctx, 1, 6, 3, { padding: 1 }));
    this.conv2 = this.registerModule('conv2', new Conv2d(ctx, 6, 8, 3, { stride: 2, padding: 1 }));
    this.fc = this.registerModule('fc', new Linear(ctx, 8, numClasses));
  }

  features(x: Tensor): Tensor {
    return relu(this.conv2.forward(relu(this.conv1.forward(x))));
  }

  forward(x: Tensor): Tensor {
    return this.fc.forward(flatten(this.pool.forward(this.features(x))));
  }
}

function stateDict(c: RefCase): WeightMap {
  const map: WeightMap = new Map();
  for (const key of c.attrs.stateKeys as string[]) map.set(key, c.t(`sd.${key}`));
  return map;
}

async function cnnxFromFixture(gpu: Gpu): Promise<Cnnx> {
  const c = byName('cnnx');
  const model = new Cnnx({ gpu, rng: createRng(0) }, { ...CNNX_PAPER, inputSize: 32, numClasses: 4 });
  model.loadStateDict(stateDict(c));
  return model.eval();
}

async function gapFromFixture(gpu: Gpu): Promise<TinyGap> {
  const model = new TinyGap(gpu, 3);
  model.loadStateDict(stateDict(byName('gap')));
  return model.eval();
}

async function mapsOf(model: Classifier, c: RefCase, request: CamRequest) {
  const gpu = model.parameters()[0]!.gpu;
  const x = Tensor.fromData(gpu, c.t('x').data, c.t('x').shape);
  try {
    const batch = await computeCams(model, x, request);
    batch.maps.dispose();
    return batch;
  } finally {
    x.dispose();
  }
}

/** Row k of cam_all [N, K, h, w] for every image: [N, h, w]. */
function camOfClass(c: RefCase, classes: readonly number[]): Float32Array {
  const all = c.t('cam_all');
  const [n, k, h, w] = all.shape as [number, number, number, number];
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) out.set(all.data.subarray((i * k + classes[i]!) * h * w, (i * k + classes[i]! + 1) * h * w), i * h * w);
  return out;
}

describe('CAM of CNN-X (flatten + linear head) against PyTorch', () => {
  const c = byName('cnnx');
  const side = c.attrs.side as number;

  it('gives the exact per-location contribution for every class and the predicted one', async () => {
    const model = await cnnxFromFixture(await testGpu());
    for (let k = 0; k < 4; k++) {
      const batch = await mapsOf(model, c, { method: 'cam', targetClass: k });
      expect([batch.height, batch.width, batch.layer]).toEqual([side, side, 'branches']);
      expectClose(`cam class ${k}`, batch.values, camOfClass(c, [k, k]), [2, side, side]);
      expectClose('logits', batch.logits, c.t('logits').data, c.t('logits').shape);
    }
    const predicted = await mapsOf(model, c, { method: 'cam' });
    expect(predicted.classes).toEqual(c.attrs.predicted);
    expectClose('cam predicted', predicted.values, camOfClass(c, predicted.classes), [2, side, side]);
    model.dispose();
  });

  it('sums, plus the bias, to the logit', async () => {
    const model = await cnnxFromFixture(await testGpu());
    const bias = c.t('bias').data;
    for (let k = 0; k < 4; k++) {
      const batch = await mapsOf(model, c, { method: 'cam', targetClass: k });
      for (let i = 0; i < 2; i++) {
        const sum = batch.values.subarray(i * side * side, (i + 1) * side * side).reduce((a, b) => a + b, 0);
        expect(sum + bias[k]!).toBeCloseTo(batch.logits[i * 4 + k]!, 4);
      }
    }
    model.dispose();
  });

  const gradientCases: [string, CamRequest, string, number[]][] = [
    ['Grad-CAM of branches', { method: 'gradcam' }, 'gradcam_branches', [2, side, side]],
    ['Grad-CAM++ of branches', { method: 'gradcam++' }, 'gradcampp_branches', [2, side, side]],
    ['Grad-CAM of branches.1, class 2', { method: 'gradcam', layer: 'branches.1', targetClass: 2 }, 'gradcam_branch1_class2', [2, side, side]],
    ['Grad-CAM of branches.2.conv', { method: 'gradcam', layer: 'branches.2.conv' }, 'gradcam_branch2_conv', [2, 32, 32]],
    ['Grad-CAM++ of branches.2.conv', { method: 'gradcam++', layer: 'branches.2.conv' }, 'gradcampp_branch2_conv', [2, 32, 32]],
  ];
  for (const [title, request, role, shape] of gradientCases) {
    it(`${title} matches autograd.grad`, async () => {
      const gpu = await testGpu();
      const model = await cnnxFromFixture(gpu);
      const before = gpu.poolStats().inUse;
      const batch = await mapsOf(model, c, request);
      expect([batch.height, batch.width]).toEqual(shape.slice(1));
      expectClose(role, batch.values, c.t(role).data, shape);
      // No parameter gradient was made, the parameters still require one, and the graph was freed.
      expect(model.parameters().every((p) => p.grad === null && p.requiresGrad)).toBe(true);
      expect(gpu.poolStats().inUse).toBe(before);
      model.dispose();
    });
  }
});

describe('CAM and Grad-CAM of a global-average-pooling head against PyTorch', () => {
  const c = byName('gap');

  it('CAM: M_k = sum_c W_k[c] A_c, whose mean plus the bias is the logit', async () => {
    const model = await gapFromFixture(await testGpu());
    for (let k = 0; k < 3; k++) {
      const batch = await mapsOf(model, c, { method: 'cam', targetClass: k });
      expect(batch.layer).toBe('features');
      expectClose(`cam class ${k}`, batch.values, camOfClass(c, [k, k, k]), [3, 6, 6]);
    }
    model.dispose();
  });

  for (const [title, request, role] of [
    ['Grad-CAM of conv2', { method: 'gradcam', layer: 'conv2' }, 'gradcam_conv2'],
    ['Grad-CAM of the features', { method: 'gradcam' }, 'gradcam_features'],
    ['Grad-CAM++ of the features', { method: 'gradcam++' }, 'gradcampp_features'],
  ] as [string, CamRequest, string][]) {
    it(`${title} matches autograd.grad`, async () => {
      const model = await gapFromFixture(await testGpu());
      const batch = await mapsOf(model, c, request);
      expect(batch.classes).toEqual(c.attrs.predicted);
      expectClose(role, batch.values, c.t(role).data, [3, 6, 6]);
      model.dispose();
    });
  }
});

describe('the ImageNet backbones', () => {
  it('ResNet-18: CAM of features(x) reproduces the logits through GAP + fc; Grad-CAM of any conv', async () => {
    const gpu = await testGpu();
    const model = modelEntry('resnet18').build({ gpu, rng: createRng(3) }, { numClasses: 3, inputSize: 64 }).eval();
    const x = Tensor.fromData(gpu, Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37)), [2, 3, 64, 64]);
    try {
      // computeCams checks that mean(M_k) + b_k equals logit k for every image and throws otherwise.
      const cam = await computeCams(model, x, { method: 'cam' });
      expect([cam.layer, cam.height, cam.width]).toEqual(['layer4', 2, 2]);
      cam.maps.dispose();
      const grad = await computeCams(model, x, { method: 'gradcam', layer: 'layer3.1.conv2', targetClass: 2 });
      expect([grad.layer, grad.height, grad.width, grad.classes]).toEqual(['layer3.1.conv2', 4, 4, [2, 2]]);
      grad.maps.dispose();
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  it('SqueezeNet: CAM is refused (its head is a convolution), Grad-CAM works', async () => {
    const gpu = await testGpu();
    const model = modelEntry('squeezenet1_0').build({ gpu, rng: createRng(3) }, { numClasses: 2, inputSize: 64 }).eval();
    const x = Tensor.fromData(gpu, Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.cos(i * 0.11)), [1, 3, 64, 64]);
    try {
      await expect(computeCams(model, x, { method: 'cam' })).rejects.toThrow(/no linear head.*use --method gradcam/);
      const grad = await computeCams(model, x, { method: 'gradcam++' });
      expect(grad.layer).toBe('features');
      grad.maps.dispose();
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

describe('cam.upsample_bilinear', () => {
  for (const c of cases.filter((r) => r.name.startsWith('up_') || r.name === 'down' || r.name === 'same' || r.name === 'one_pixel')) {
    const [n, h, w] = c.t('x').shape as [number, number, number];
    const [oh, ow] = c.attrs.out as [number, number];
    it(`matches F.interpolate(bilinear, align_corners=False) (${c.name}: ${h}x${w} -> ${oh}x${ow})`, async () => {
      const gpu = await testGpu();
      const x = Tensor.fromData(gpu, c.t('x').data, [n, h, w]);
      const y = Tensor.empty(gpu, [n, oh, ow], 'test:y');
      runCamUpsample(gpu, x.buffer, y.buffer, { count: n, inH: h, inW: w, outH: oh, outW: ow });
      expectClose('y', await y.read(), c.t('y').data, [n, oh, ow]);
      if (n > 1) {
        // One map of the batch on its own (the overlay path).
        const one = Tensor.empty(gpu, [1, oh, ow], 'test:one');
        runCamUpsample(gpu, x.buffer, one.buffer, { count: 1, inH: h, inW: w, outH: oh, outW: ow, first: 1 });
        expectClose('y[1]', await one.read(), c.t('y').data.subarray(oh * ow, 2 * oh * ow), [1, oh, ow]);
        one.dispose();
      }
      [x, y].forEach((t) => t.dispose());
    });
  }
});

describe('bad requests fail clearly', () => {
  it('an unknown layer lists the valid paths near it', async () => {
    const model = await cnnxFromFixture(await testGpu());
    const c = byName('cnnx');
    await expect(mapsOf(model, c, { method: 'gradcam', layer: 'branches.7' })).rejects.toThrow(
      /unknown layer "branches\.7"[\s\S]*"branches" \(ModuleList\) has: branches\.0, branches\.1, branches\.2, branches\.3/,
    );
    await expect(mapsOf(model, c, { method: 'gradcam', layer: 'layer4' })).rejects.toThrow(/the model \(Cnnx\) has: branches, fc/);
    expect(() => findLayer(model, 'branches.0.cnv')).toThrow(/closest paths: branches\.0\.conv/);
    model.dispose();
  });

  it('a class out of range names it and the valid ones', async () => {
    const model = await cnnxFromFixture(await testGpu());
    await expect(mapsOf(model, byName('cnnx'), { method: 'cam', targetClass: 4 })).rejects.toThrow(/class 4 is out of range: the model has 4 classes/);
    expect(() => resolveClass('7', ['normal', 'covid'])).toThrow(/class "7" is out of range: the model has 2 classes \(0 normal, 1 covid\)/);
    expect(() => resolveClass('pneumonia', ['normal', 'covid'])).toThrow(CamError);
    expect(resolveClass('covid', ['normal', 'covid'])).toBe(1);
    expect(resolveClass('0', ['normal', 'covid'])).toBe(0);
    model.dispose();
  });

  it('CAM of another layer, and Grad-CAM of a layer without a feature map, are refused', async () => {
    const model = await cnnxFromFixture(await testGpu());
    const c = byName('cnnx');
    await expect(mapsOf(model, c, { method: 'cam', layer: 'branches.1' })).rejects.toThrow(/use --method gradcam/);
    await expect(mapsOf(model, c, { method: 'gradcam', layer: 'fc' })).rejects.toThrow(/outputs \[2, 4\], not a \[N, C, H, W\] feature map/);
    // The wrapper was removed again: a later map is unaffected.
    const batch = await mapsOf(model, c, { method: 'cam', targetClass: 1 });
    expectClose('cam after errors', batch.values, camOfClass(c, [1, 1]), [2, c.attrs.side as number, c.attrs.side as number]);
    model.dispose();
  });

  it('a lung mask of another size than its image names both files and sizes', async () => {
    const model = await cnnxFromFixture(await testGpu());
    const dir = tmp();
    const image = join(dir, 'image.png');
    const mask = join(dir, 'mask.png');
    writeFileSync(image, encodeGrayPng({ width: 40, height: 36, data: new Uint8Array(40 * 36).fill(90) }));
    writeFileSync(mask, encodeGrayPng({ width: 32, height: 32, data: new Uint8Array(32 * 32).fill(255) }));
    const run = async () => {
      for await (const _ of camImages(model, [{ file: image, mask }], { method: 'cam', batchSize: 2 })) void _;
    };
    await expect(run()).rejects.toThrow(`lung mask ${mask} is 32x32 but its image ${image} is 40x36`);
    model.dispose();
  });
});

describe('images, masks and the inside-lung fraction', () => {
  it('reads labels off class folders and finds masks under masks/', () => {
    const dir = tmp();
    const png = encodeGrayPng({ width: 32, height: 32, data: new Uint8Array(32 * 32).fill(100) });
    for (const rel of ['test/covid/0000.png', 'test/normal/0000.png', 'masks/test/covid/0000.png', 'masks/test/normal/0000.png']) {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), png);
    }
    const classNames = ['normal', 'COVID-19'];
    const fromRoot = collectCamSources([dir], { classNames, masks: join(dir, 'masks') });
    expect(fromRoot.map((s) => [s.relative, s.label, s.mask, s.output])).toEqual([
      ['test/covid/0000.png', 1, join(dir, 'masks/test/covid/0000.png'), 'test/covid/0000.png'],
      ['test/normal/0000.png', 0, join(dir, 'masks/test/normal/0000.png'), 'test/normal/0000.png'],
    ]);
    const fromClassFolder = collectCamSources([join(dir, 'test/covid')], { classNames, masks: join(dir, 'masks') });
    expect(fromClassFolder.map((s) => [s.relative, s.label, s.mask])).toEqual([['0000.png', 1, join(dir, 'masks/test/covid/0000.png')]]);
    expect(labelOf('/data', 'misc/a.png', classNames)).toBeNull();
    expect(() => collectCamSources([join(dir, 'test')], { classNames, masks: join(dir, 'nowhere') })).toThrow(/--masks .*nowhere: no such folder/);
  });

  it('measures the share of the normalised map inside the mask', () => {
    const map = Float32Array.from([1, 3, 5, 1]);
    const normalized = normalizeMap(map)!;
    expect([...normalized]).toEqual([0, 0.5, 1, 0]);
    expect(lungFraction(normalized, Float32Array.from([0, 1, 0, 1]))).toBeCloseTo(0.5 / 1.5, 6);
    expect(lungFraction(normalizeMap(Float32Array.from([2, 2, 2, 2])), Float32Array.from([1, 1, 0, 0]))).toBeNull();
    const summary = summarizeLungFractions(
      [
        { fraction: 0.2, trueLabel: 1, predicted: 1 },
        { fraction: 0.4, trueLabel: 1, predicted: 0 },
        { fraction: 0.9, trueLabel: 0, predicted: 0 },
      ],
      ['normal', 'covid'],
    );
    expect(summary.groupedBy).toBe('true');
    expect(summary.overall).toBeCloseTo(0.5, 6);
    expect(summary.perClass.map((p) => [p.name, p.count])).toEqual([['normal', 1], ['covid', 2]]);
    expect(summary.perClass[1]!.mean).toBeCloseTo(0.3, 6);
  });

  it('runs a labelled folder end to end: overlays at the original size, fractions, report', async () => {
    const model = await cnnxFromFixture(await testGpu());
    const dir = tmp();
    // 48x40 originals (not the 32x32 input), masks covering the left half.
    const size = { width: 48, height: 40 };
    const mask = new Uint8Array(48 * 40).map((_, p) => (p % 48 < 24 ? 255 : 0));
    for (const [k, rel] of ['test/covid/a.png', 'test/normal/b.png', 'test/normal/c.png'].entries()) {
      const pixels = new Uint8Array(48 * 40).map((_, p) => (p * (7 + k)) % 251);
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      mkdirSync(join(dir, 'masks', rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), encodeGrayPng({ ...size, data: pixels }));
      writeFileSync(join(dir, 'masks', rel), encodeGrayPng({ ...size, data: mask }));
    }
    const classNames = ['normal', 'bacterial', 'viral', 'covid'];
    const sources = collectCamSources([join(dir, 'test')], { classNames, masks: join(dir, 'masks') });
    const results = [];
    for await (const r of camImages(model, sources, { method: 'gradcam', batchSize: 2, thumbnails: 16, colormap: 'turbo', opacity: 0.3 })) {
      results.push(r);
    }
    expect(results.map((r) => r.input.label)).toEqual([3, 0, 0]);
    for (const r of results) {
      expect([r.overlay!.width, r.overlay!.height, r.overlay!.data.length]).toEqual([48, 40, 48 * 40 * 3]);
      expect([r.thumbnails!.overlay.width, r.thumbnails!.overlay.height]).toEqual([16, 13]);
      expect(r.map.length).toBe(11 * 11);
      if (r.lungFraction !== null) {
        expect(r.lungFraction).toBeGreaterThanOrEqual(0);
        expect(r.lungFraction).toBeLessThanOrEqual(1);
      }
    }
    const evaluation = evaluate(results.map((r) => r.input.label!), results.map((r) => r.predicted), classNames);
    const html = renderReport({
      title: 'test <report>',
      details: ['a & b'],
      classNames,
      images: results.map((r) => ({
        name: r.input.relative,
        original: r.thumbnails!.original,
        overlay: r.thumbnails!.overlay,
        trueLabel: r.input.label,
        predicted: r.predicted,
        mapClass: r.classIndex,
        probability: r.probabilities[r.classIndex]!,
        lungFraction: r.lungFraction,
      })),
      evaluation,
      lung: summarizeLungFractions(results.map((r) => ({ fraction: r.lungFraction, trueLabel: r.input.label, predicted: r.predicted })), classNames),
    });
    expect(html).toContain('<title>test &lt;report&gt;</title>');
    expect(html.match(/src="data:image\/png;base64,/g)!.length).toBe(6);
    expect(html).toContain('true \\ predicted');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    model.dispose();
  });
});

describe('colour maps', () => {
  it('have the documented ends', () => {
    const ends = (name: 'jet' | 'turbo' | 'viridis') => {
      const t = colormapTable(name);
      return [[...t.subarray(0, 3)], [...t.subarray(765, 768)]];
    };
    expect(ends('jet')).toEqual([[0, 0, 128], [128, 0, 0]]);
    expect(ends('viridis')).toEqual([[68, 1, 84], [253, 231, 37]]);
    expect(ends('turbo')).toEqual([[48, 18, 59], [122, 4, 3]]);
  });
});

const temps: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cnnx-cam-'));
  temps.push(dir);
  return dir;
}
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
