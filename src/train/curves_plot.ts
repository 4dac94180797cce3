/** Loss and accuracy per epoch as an SVG picture (opens in any browser, no dependencies). */

export interface EpochPoint {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss?: number | null;
  testAccuracy?: number | null;
}

const W = 360;
const H = 240;
const M = { left: 48, right: 12, top: 28, bottom: 36 };

export function curvesSvg(points: readonly EpochPoint[], title = 'training'): string {
  const losses = points.flatMap((p) => [p.trainLoss, p.testLoss ?? NaN]).filter(Number.isFinite);
  const maxLoss = Math.max(1e-6, ...losses) * 1.05;
  const lossPanel = panel(
    'loss',
    points,
    [
      { key: 'trainLoss', color: '#1f77b4', label: 'train' },
      { key: 'testLoss', color: '#d62728', label: 'test' },
    ],
    maxLoss,
  );
  const accPanel = panel(
    'accuracy',
    points,
    [
      { key: 'trainAccuracy', color: '#1f77b4', label: 'train' },
      { key: 'testAccuracy', color: '#d62728', label: 'test' },
    ],
    1,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${W}" y="16" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<g transform="translate(0,20)">${lossPanel}</g>`,
    `<g transform="translate(${W},20)">${accPanel}</g>`,
    '</svg>',
  ].join('\n');
}

interface Series {
  key: keyof EpochPoint;
  color: string;
  label: string;
}

function panel(name: string, points: readonly EpochPoint[], series: Series[], yMax: number): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const epochs = points.map((p) => p.epoch);
  const x0 = Math.min(0, ...epochs);
  const x1 = Math.max(1, ...epochs);
  const sx = (e: number): number => M.left + ((e - x0) / (x1 - x0)) * pw;
  const sy = (v: number): number => M.top + ph - (v / yMax) * ph;
  const parts = [`<text x="${M.left}" y="${M.top - 8}">${name}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${sy(v)}" y2="${sy(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 4}" y="${sy(v) + 4}" text-anchor="end">${v.toPrecision(2)}</text>`);
  }
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle">epoch</text>`);
  for (const e of epochs) parts.push(`<text x="${sx(e)}" y="${M.top + ph + 14}" text-anchor="middle">${e}</text>`);
  series.forEach((s, i) => {
    const pts = points
      .filter((p) => typeof p[s.key] === 'number' && Number.isFinite(p[s.key] as number))
      .map((p) => `${sx(p.epoch).toFixed(1)},${sy(p[s.key] as number).toFixed(1)}`);
    if (pts.length === 0) return;
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    parts.push(...pts.map((pt) => `<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="2.5" fill="${s.color}"/>`));
    parts.push(`<text x="${M.left + pw - 60}" y="${M.top + 12 + 14 * i}" fill="${s.color}">${s.label}</text>`);
  });
  return parts.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}
