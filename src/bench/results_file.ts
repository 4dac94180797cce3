/** bench/RESULTS.md: the latest table, with the device, the date and the load average it was measured under. */
import { header, markdownTables, peerNotes, type BenchReport } from './report.js';

export function resultsMarkdown(r: BenchReport): string {
  const notes = peerNotes(r);
  const profiles = r.e2e.filter((e) => e.profile && e.profile.length > 0);
  return [
    '# cnnx bench results',
    '',
    `Written by \`cnnx bench${r.mode === 'quick' ? ' --quick' : ''} --write-results\`; rerun it to refresh. ` +
      'Times are medians of GPU timestamps per run (inputs rotated across runs) unless the clock says wall; ' +
      '% roof is the roofline fraction: the time the binding roof (FMA for compute-bound passes, copy for memory-bound ' +
      'ones) allows over the time measured; a convolution\'s GFLOP/s and % roof count the direct convolution\'s ' +
      'FLOPs for every variant (\'winograd\' does a quarter of the multiplies, so its figures are effective ones); ' +
      'peer/cnnx above 1 means cnnx is faster. The **bold** variant is the fastest of several.',
    '',
    ...header(r).map((line) => `- ${line}`),
    '',
    markdownTables(r),
    ...(profiles.length > 0
      ? ['', '## Where an end-to-end step goes (GPU ms per kernel, one profiled step)', '',
        ...profiles.flatMap((e) => [
          `${e.name}:`, '',
          '| kernel | ms | dispatches |', '| --- | ---: | ---: |',
          ...e.profile!.slice(0, 12)
            .map((p) => `| ${p.kernel} | ${p.ms.toFixed(profileDigits(e.profile!))} | ${p.dispatches} |`),
          '',
        ])]
      : []),
    ...(notes.length > 0 ? ['', '## Peers that could not run', '', ...notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');
}

/** A hardware GPU's step is a few ms: its kernels need more digits than lavapipe's. */
export function profileDigits(profile: readonly { ms: number }[]): number {
  return profile.reduce((sum, p) => sum + p.ms, 0) < 20 ? 3 : 1;
}
