/**
 * The CAM report: one self-contained HTML file (images inlined as base64 PNG data URIs, a little inline script, no
 * network) that opens offline. Per image: the original, the overlay, true and predicted label, probability and the
 * inside-lung fraction; rows sort by clicking a column and filter by class and by correct/wrong. When labels are
 * known, the run's confusion matrix and per-class sensitivity/specificity; with masks, the mean inside-lung
 * fraction overall and per class.
 */
import { encodeRgbPng } from '../../io/png_write.js';
import type { EvalReport } from '../metrics.js';
import type { LungSummary } from './energy.js';
import type { RgbImage } from './overlay.js';

export interface ReportImage {
  name: string;
  original: RgbImage;
  overlay: RgbImage;
  trueLabel: number | null;
  predicted: number;
  /** The class the map explains. */
  mapClass: number;
  /** Probability of mapClass. */
  probability: number;
  lungFraction: number | null;
}

export interface ReportInput {
  title: string;
  /** Lines about the run (model, weights, method, layer, colour map). */
  details: string[];
  classNames: readonly string[];
  images: ReportImage[];
  evaluation: EvalReport | null;
  lung: LungSummary | null;
}

export function pngDataUri(image: RgbImage): string {
  const bytes = encodeRgbPng(image);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(binary)}`;
}

export function renderReport(input: ReportInput): string {
  const { classNames } = input;
  const labelled = input.images.some((i) => i.trueLabel !== null);
  const rows = input.images.map((image) => {
    const correct = image.trueLabel === null ? '' : image.trueLabel === image.predicted ? 'correct' : 'wrong';
    const filterClass = image.trueLabel ?? image.predicted;
    return `<tr data-name="${esc(image.name)}" data-class="${filterClass}" data-outcome="${correct}" ` +
      `data-true="${image.trueLabel === null ? '' : esc(classNames[image.trueLabel]!)}" data-predicted="${esc(classNames[image.predicted]!)}" ` +
      `data-prob="${image.probability}" data-lung="${image.lungFraction ?? ''}">` +
      `<td class="name">${esc(image.name)}</td>` +
      `<td><img src="${pngDataUri(image.original)}" alt="original"></td>` +
      `<td><img src="${pngDataUri(image.overlay)}" alt="overlay"></td>` +
      `<td>${image.trueLabel === null ? '&ndash;' : esc(classNames[image.trueLabel]!)}</td>` +
      `<td class="${correct}">${esc(classNames[image.predicted]!)}</td>` +
      `<td>${esc(classNames[image.mapClass]!)} ${pct(image.probability)}</td>` +
      `<td>${image.lungFraction === null ? '&ndash;' : pct(image.lungFraction)}</td></tr>`;
  });
  const classOptions = classNames.map((name, c) => `<option value="${c}">${esc(name)}</option>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: middle; }
th { background: #f2f2f2; }
#images th[data-key] { cursor: pointer; }
#images img { display: block; max-width: 256px; }
td.correct { color: #146c2e; } td.wrong { color: #b3261e; font-weight: bold; }
.name { max-width: 16em; word-break: break-all; }
.controls { margin: 0.5em 0; } .controls label { margin-right: 1.5em; }
.note { color: #555; }
</style></head><body>
<h1>${esc(input.title)}</h1>
<ul>${input.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>
${lungSection(input.lung, labelled)}
${input.evaluation ? evaluationSection(input.evaluation) : '<p class="note">True labels are unknown (the images are not in class folders), so there is no confusion matrix.</p>'}
<h2>Images (${input.images.length})</h2>
<div class="controls">
<label>${labelled ? 'true class' : 'predicted class'}: <select id="class"><option value="">all</option>${classOptions}</select></label>
${labelled ? '<label>outcome: <select id="outcome"><option value="">all</option><option value="correct">correct</option><option value="wrong">wrong</option></select></label>' : ''}
<span id="shown" class="note"></span>
</div>
<table id="images"><thead><tr>
<th data-key="name">file</th><th>original</th><th>overlay</th><th data-key="true">true</th><th data-key="predicted">predicted</th>
<th data-key="prob" data-numeric="1">map class, probability</th><th data-key="lung" data-numeric="1">inside lungs</th>
</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
<script>
(function () {
  var body = document.querySelector('#images tbody');
  var rows = Array.prototype.slice.call(body.rows);
  var sortKey = null, ascending = true;
  function update() {
    var cls = document.getElementById('class').value;
    var outcomeBox = document.getElementById('outcome');
    var outcome = outcomeBox ? outcomeBox.value : '';
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!cls || row.dataset.class === cls) && (!outcome || row.dataset.outcome === outcome);
      row.style.display = ok ? '' : 'none';
      if (ok) shown++;
    });
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' shown';
  }
  document.querySelectorAll('#images th[data-key]').forEach(function (th) {
    th.addEventListener('click', function () {
      var key = th.dataset.key, numeric = th.dataset.numeric === '1';
      ascending = sortKey === key ? !ascending : true;
      sortKey = key;
      rows.sort(function (a, b) {
        var x = a.dataset[key], y = b.dataset[key], r;
        if (numeric) {
          var fx = x === '' ? -Infinity : parseFloat(x), fy = y === '' ? -Infinity : parseFloat(y);
          r = fx - fy;
        } else {
          r = x < y ? -1 : x > y ? 1 : 0;
        }
        return ascending ? r : -r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  document.getElementById('class').addEventListener('change', update);
  if (document.getElementById('outcome')) document.getElementById('outcome').addEventListener('change', update);
  update();
})();
</script>
</body></html>
`;
}

function lungSection(lung: LungSummary | null, labelled: boolean): string {
  if (!lung) return '<p class="note">No lung masks were given (--masks), so the inside-lung fraction is not measured.</p>';
  const by = lung.groupedBy === 'true' ? 'true class' : 'predicted class';
  return `<h2>Where the network looks</h2>
<p>Inside-lung fraction: the share of the normalised map's mass (upsampled to the input resolution) that falls inside
the lung mask. Mean over ${lung.count} images: <b>${lung.overall === null ? 'n/a' : pct(lung.overall)}</b>.</p>
<table><tr><th>${by}</th><th>images</th><th>mean inside lungs</th></tr>
${lung.perClass.map((c) => `<tr><td>${esc(c.name)}</td><td>${c.count}</td><td>${c.mean === null ? '&ndash;' : pct(c.mean)}</td></tr>`).join('\n')}
</table>${labelled || lung.groupedBy === 'true' ? '' : '<p class="note">Grouped by predicted class since true labels are unknown.</p>'}`;
}

function evaluationSection(report: EvalReport): string {
  const names = report.classNames;
  const rate = (v: number | null): string => (v === null ? '&ndash;' : pct(v));
  return `<h2>Evaluation (${report.count} labelled images, accuracy ${rate(report.accuracy)})</h2>
<table><tr><th>class</th><th>support</th><th>sensitivity</th><th>specificity</th></tr>
${report.perClass.map((c) => `<tr><td>${esc(c.name)}</td><td>${c.support}</td><td>${rate(c.sensitivity)}</td><td>${rate(c.specificity)}</td></tr>`).join('\n')}
<tr><td><i>macro</i></td><td></td><td>${rate(report.macro.sensitivity)}</td><td>${rate(report.macro.specificity)}</td></tr></table>
<table><tr><th>true \\ predicted</th>${names.map((n) => `<th>${esc(n)}</th>`).join('')}</tr>
${report.confusion.map((row, i) => `<tr><th>${esc(names[i]!)}</th>${row.map((v) => `<td>${v}</td>`).join('')}</tr>`).join('\n')}
</table>`;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
