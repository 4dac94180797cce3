import { describe, expect, it } from 'vitest';
import { confusionMatrix, evaluate, formatReport } from '../../src/train/metrics.js';

describe('metrics', () => {
  it('builds the confusion matrix with true classes as rows', () => {
    expect(confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
  });

  it('computes one-versus-rest sensitivity and specificity by hand-checked counts', () => {
    // class 0: TP 1, FN 1, FP 1, TN 3 -> sens 0.5, spec 0.75
    // class 1: TP 1, FN 0, FP 1, TN 4 -> sens 1, spec 0.8
    // class 2: TP 2, FN 1, FP 0, TN 3 -> sens 2/3, spec 1
    const r = evaluate([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], ['normal', 'viral', 'covid']);
    expect(r.accuracy).toBeCloseTo(4 / 6);
    expect(r.perClass.map((c) => c.sensitivity)).toEqual([0.5, 1, 2 / 3]);
    expect(r.perClass.map((c) => c.specificity)).toEqual([0.75, 0.8, 1]);
    expect(r.macro.sensitivity).toBeCloseTo((0.5 + 1 + 2 / 3) / 3);
    expect(formatReport(r)).toContain('covid');
  });

  it('reports an undefined rate as null, not 0', () => {
    const r = evaluate([0, 0], [0, 0], ['a', 'b']);
    expect(r.perClass[1]!.sensitivity).toBeNull();
    expect(r.perClass[0]!.specificity).toBeNull();
  });
});
