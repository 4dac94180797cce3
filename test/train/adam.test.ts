import { describe, expect, it } from 'vitest';
import { StateDictError } from '../../src/graph/modules/module.js';
import { Tensor } from '../../src/graph/tensor.js';
import type { Gpu } from '../../src/runtime/gpu.js';
import { Adam } from '../../src/train/adam.js';
import { expectClose } from '../helpers/compare.js';
import { loadCases, type RefCase } from '../helpers/fixtures.js';
import { testGpu } from '../helpers/gpu.js';

interface Attrs {
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
  steps: number;
  shapes: number[][];
}

function makeParams(gpu: Gpu, c: RefCase, shapes: number[][]): Tensor[] {
  return shapes.map((shape, i) => {
    const p = Tensor.fromData(gpu, c.t(`p${i}`).data, shape, `param${i}`);
    p.requiresGrad = true;
    return p;
  });
}

/** Sets each param's grad to the fixture's gradient of step k (null where the reference had none), then steps. */
function runSteps(gpu: Gpu, c: RefCase, adam: Adam, params: Tensor[], from: number, to: number): void {
  for (let k = from; k < to; k++) {
    params.forEach((p, i) => {
      p.grad = c.has(`g${i}.${k}`) ? Tensor.fromData(gpu, c.t(`g${i}.${k}`).data, p.shape, `grad${i}`) : null;
    });
    adam.step();
    adam.zeroGrad();
  }
}

async function expectMatches(c: RefCase, adam: Adam, params: Tensor[]): Promise<void> {
  const state = await adam.stateDict();
  for (const [i, p] of params.entries()) {
    const want = c.t(`p${i}.final`);
    expectClose(`p${i}`, await p.read(), want.data, want.shape, { rel: 1e-5 });
    expectClose(`m${i}`, state.get(`adam.${i}.exp_avg`)!.data, c.t(`m${i}`).data, want.shape, { rel: 1e-5 });
    expectClose(`v${i}`, state.get(`adam.${i}.exp_avg_sq`)!.data, c.t(`v${i}`).data, want.shape, { rel: 1e-5 });
  }
}

describe('Adam', () => {
  for (const c of loadCases('adam')) {
    const a = c.attrs as unknown as Attrs;
    const options = { lr: a.lr, betas: a.betas, eps: a.eps, weightDecay: a.weight_decay };

    it(`matches torch.optim.Adam after ${a.steps} steps (${c.name})`, async () => {
      const gpu = await testGpu();
      const params = makeParams(gpu, c, a.shapes);
      const adam = new Adam(params, options);
      runSteps(gpu, c, adam, params, 0, a.steps);
      expect(adam.stepCount).toBe(a.steps);
      await expectMatches(c, adam, params);
      adam.dispose();
      params.forEach((p) => p.dispose());
    });

    it(`resumes from its state dict halfway (${c.name})`, async () => {
      const gpu = await testGpu();
      const first = makeParams(gpu, c, a.shapes);
      const adam = new Adam(first, options);
      runSteps(gpu, c, adam, first, 0, 5);
      const state = await adam.stateDict();
      const values = await Promise.all(first.map((p) => p.read()));
      adam.dispose();
      first.forEach((p) => p.dispose());

      const params = values.map((data, i) => {
        const p = Tensor.fromData(gpu, data, a.shapes[i]!, `resumed${i}`);
        p.requiresGrad = true;
        return p;
      });
      const resumed = new Adam(params, options);
      resumed.loadStateDict(state);
      expect(resumed.stepCount).toBe(5);
      runSteps(gpu, c, resumed, params, 5, a.steps);
      await expectMatches(c, resumed, params);
      resumed.dispose();
      params.forEach((p) => p.dispose());
    });
  }

  // 'skip' has parameters of 105, 13, 24 and 1 elements, 'vec4' of 96, 8, 12 and 4: the vec4 kernels take sizes that
  // are multiples of 4 (all four of a group, or the one alone).
  for (const name of ['skip', 'vec4']) {
    const title = 'updates four parameters that share a step count in one dispatch, and one that fell behind ' +
      `alone (${name})`;
    it(title, async () => {
      const gpu = await testGpu();
      const c = loadCases('adam').find((k) => k.name === name)!;
      const a = c.attrs as unknown as Attrs;
      const params = makeParams(gpu, c, a.shapes);
      const adam = new Adam(params, { lr: a.lr, betas: a.betas, eps: a.eps, weightDecay: a.weight_decay });
      const kernelsOfStep = async (k: number): Promise<string[]> => {
        gpu.startProfiling();
        runSteps(gpu, c, adam, params, k, k + 1);
        return (await gpu.stopProfiling()).map((t) => t.name).filter((kernel) => kernel.startsWith('adam.'));
      };
      const alone = (i: number): string => (params[i]!.size % 4 === 0 ? 'adam.step_1_vec4' : 'adam.step');
      // (A device that binds fewer than 16 storage buffers to a shader updates each alone.)
      const grouped = name === 'vec4' ? ['adam.step_4_1_vec4'] : ['adam.step_4'];
      const four = gpu.limits.maxStorageBuffersPerShaderStage >= 16 ? grouped : [0, 1, 2, 3].map(alone);
      expect(await kernelsOfStep(0)).toEqual(four);
      expect(await kernelsOfStep(1)).toEqual(four);
      // Step 3 has no gradient for parameter 1; from then on it counts one step fewer than the other three.
      expect(await kernelsOfStep(2)).toEqual([0, 2, 3].map(alone));
      expect(await kernelsOfStep(3)).toEqual([0, 2, 3, 1].map(alone));
      runSteps(gpu, c, adam, params, 4, a.steps);
      await expectMatches(c, adam, params);
      adam.dispose();
      params.forEach((p) => p.dispose());
    });
  }

  it('skips parameters without a gradient and keeps no state for them', async () => {
    const gpu = await testGpu();
    const a = Tensor.fromData(gpu, [1, 2, 3], [3], 'a');
    const b = Tensor.fromData(gpu, [4, 5], [2], 'b');
    a.requiresGrad = b.requiresGrad = true;
    const adam = new Adam(new Map([['a', a], ['b', b]]), { lr: 0.1 });
    a.grad = Tensor.fromData(gpu, [1, -1, 0.5], [3], 'da');
    adam.step();
    expect(a.grad).not.toBeNull();
    adam.zeroGrad();
    expect(a.grad).toBeNull();
    // The first Adam step moves every element by lr * sign(g) (m/sqrt(v) = g/|g| after bias correction).
    expectClose('a', await a.read(), [0.9, 2.1, 2.9], [3], { rel: 1e-6 });
    expect([...(await b.read())]).toEqual([4, 5]);
    expect([...(await adam.stateDict()).keys()]).toEqual(['adam.step', 'adam.a.step', 'adam.a.exp_avg', 'adam.a.exp_avg_sq']);
    adam.dispose();
    [a, b].forEach((t) => t.dispose());
  });

  it('rejects a state dict listing every missing, unexpected and mis-shaped key at once', async () => {
    const gpu = await testGpu();
    const w = Tensor.fromData(gpu, [1, 2, 3, 4, 5, 6], [2, 3], 'w');
    const b = Tensor.fromData(gpu, [1, 2], [2], 'b');
    w.requiresGrad = b.requiresGrad = true;
    const adam = new Adam(new Map([['fc.weight', w], ['fc.bias', b]]));
    const state = new Map([
      ['adam.fc.weight.step', { shape: [], data: Float32Array.of(3) }],
      ['adam.fc.weight.exp_avg', { shape: [3, 2], data: new Float32Array(6) }],
      ['adam.fc.bias.exp_avg_sq', { shape: [2], data: new Float32Array(2) }],
      ['adam.conv.weight.exp_avg', { shape: [1], data: new Float32Array(1) }],
    ]);
    let error: unknown;
    try {
      adam.loadStateDict(state);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const problems = (error as StateDictError).problems;
    expect(problems.missing.map((k) => k.name).sort()).toEqual(
      ['adam.fc.bias.exp_avg', 'adam.fc.bias.step', 'adam.fc.weight.exp_avg_sq', 'adam.step'].sort(),
    );
    expect(problems.unexpected.map((k) => k.name)).toEqual(['adam.conv.weight.exp_avg']);
    expect(problems.misShaped).toEqual([{ name: 'adam.fc.weight.exp_avg', expected: [2, 3], got: [3, 2] }]);
    expect((error as Error).message).toContain('adam.fc.weight.exp_avg: expected [2, 3], got [3, 2]');
    expect(adam.stepCount).toBe(0);
    adam.dispose();
    [w, b].forEach((t) => t.dispose());
  });

  it('checks its hyper-parameters', async () => {
    const gpu = await testGpu();
    const p = Tensor.fromData(gpu, [1], [1], 'p');
    p.requiresGrad = true;
    expect(() => new Adam([p], { lr: -1 })).toThrow(/learning rate/);
    expect(() => new Adam([p], { betas: [0.9, 1] })).toThrow(/betas/);
    p.requiresGrad = false;
    expect(() => new Adam([p])).toThrow(/does not require a gradient/);
    p.dispose();
  });
});
