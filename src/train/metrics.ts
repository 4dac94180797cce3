/**
 * The paper's evaluation: a confusion matrix (rows = true class, columns = predicted) and, per class one versus
 * rest, sensitivity TP/(TP+FN) and specificity TN/(TN+FP); accuracy and macro averages. A rate with an empty
 * denominator is null rather than a made-up 0 or 1.
 */

export interface ClassMetrics {
  name: string;
  support: number;
  sensitivity: number | null;
  specificity: number | null;
  precision: number | null;
}

export interface EvalReport {
  classNames: string[];
  count: number;
  confusion: number[][];
  accuracy: number | null;
  perClass: ClassMetrics[];
  macro: { sensitivity: number | null; specificity: number | null };
}

export function confusionMatrix(labels: readonly number[], predictions: readonly number[], classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  labels.forEach((label, i) => {
    m[label]![predictions[i]!]!++;
  });
  return m;
}

export function evaluate(labels: readonly number[], predictions: readonly number[], classNames: readonly string[]): EvalReport {
  const k = classNames.length;
  const confusion = confusionMatrix(labels, predictions, k);
  const count = labels.length;
  let correct = 0;
  for (let c = 0; c < k; c++) correct += confusion[c]![c]!;
  const perClass = classNames.map((name, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    const fn = support - tp;
    const fp = predicted - tp;
    const tn = count - tp - fn - fp;
    return {
      name,
      support,
      sensitivity: ratio(tp, tp + fn),
      specificity: ratio(tn, tn + fp),
      precision: ratio(tp, tp + fp),
    };
  });
  return {
    classNames: [...classNames],
    count,
    confusion,
    accuracy: ratio(correct, count),
    perClass,
    macro: {
      sensitivity: mean(perClass.map((c) => c.sensitivity)),
      specificity: mean(perClass.map((c) => c.specificity)),
    },
  };
}

/** The report as a text table, percentages with one decimal like the paper's Table 2. */
export function formatReport(report: EvalReport): string {
  const pct = (v: number | null): string => (v === null ? '   n/a' : `${(100 * v).toFixed(1)}%`.padStart(6));
  const width = Math.max(5, ...report.classNames.map((n) => n.length));
  const lines = [
    `images: ${report.count}   accuracy: ${pct(report.accuracy).trim()}`,
    '',
    `${'class'.padEnd(width)}  support  sensitivity  specificity`,
    ...report.perClass.map(
      (c) => `${c.name.padEnd(width)}  ${String(c.support).padStart(7)}  ${pct(c.sensitivity).padStart(11)}  ${pct(c.specificity).padStart(11)}`,
    ),
    `${'macro'.padEnd(width)}  ${''.padStart(7)}  ${pct(report.macro.sensitivity).padStart(11)}  ${pct(report.macro.specificity).padStart(11)}`,
    '',
    'confusion matrix (rows: true class, columns: predicted)',
    `${''.padEnd(width)}  ${report.classNames.map((n) => n.slice(0, 8).padStart(8)).join(' ')}`,
    ...report.confusion.map((row, i) => `${report.classNames[i]!.padEnd(width)}  ${row.map((v) => String(v).padStart(8)).join(' ')}`),
  ];
  return lines.join('\n');
}

function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

function mean(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}
