/**
 * The bench's results as `cnnx bench --json` prints them, and as a markdown table (the terminal and bench/RESULTS.md).
 * Required fields: device, roofs {fma_gflops, copy_gbps}, results [{name, shape, ms, gflops, gbps, roof_fraction,
 * peer {name, ms}}], e2e [{name, images_per_s, peer {name, images_per_s}}]; the others say how each number was got.
 */
import type { DeviceInfo } from '../runtime/gpu.js';
import type { Roofs } from './roofs.js';

export interface PeerResult {
  name: string;
  /** Median GPU ms per run (tfjs kernel timestamps), or null with `reason`. */
  ms: number | null;
  wall_ms?: number;
  clock?: string;
  /** peer ms / cnnx ms: above 1, cnnx is faster. */
  ratio?: number | null;
  reason?: string;
}

export interface ResultRow {
  /** `<op>.<pass>/<variant>/<shape label>`. */
  name: string;
  op: string;
  pass: string;
  variant: string;
  label: string;
  shape: string;
  /** Median GPU ms per run, or null when the case failed its check or could not run (see `error`). */
  ms: number | null;
  wall_ms: number | null;
  cpu_ms: number | null;
  samples: number;
  clock: string;
  flops: number;
  bytes: number;
  gflops: number | null;
  gbps: number | null;
  /** Which roof binds: compute when flops / bytes >= fma_gflops / copy_gbps (the roofline's ridge). */
  bound: 'compute' | 'memory';
  /** The roofline's fraction: max(flops / FMA roof, bytes / copy roof) over the measured time. */
  roof_fraction: number | null;
  /** Worst sampled error as a multiple of the tolerance (<= 1 passed). */
  check_error: number | null;
  /** The fastest variant of this pass at this shape. */
  winner: boolean;
  peer: PeerResult | null;
  /** The host's 1-minute load average when this row was timed (the host is shared: a noisy neighbour shows here). */
  load_1m?: number;
  error?: string;
}

export interface E2eRow {
  name: string;
  shape: string;
  batch: number;
  /** From ms_per_step: for training, steps back to back as the trainer runs them (see e2e.ts). */
  images_per_s: number | null;
  ms_per_step: number | null;
  /** Training only: wall ms of one step recorded and waited for alone, and how many steps ran per wait back to back. */
  ms_per_step_synced?: number;
  steps_per_sync?: number;
  /** Training back to back: host ms recording and submitting a step; near ms_per_step, the host sets the pace. */
  host_ms_per_step?: number;
  samples: number;
  peer: { name: string; images_per_s: number | null; ms_per_step?: number | null; ms_per_step_synced?: number; reason?: string } | null;
  load_1m?: number;
  error?: string;
  /** Where the time of one cnnx step goes: GPU ms per kernel name, summed over one profiled step, largest first. */
  profile?: { kernel: string; ms: number; dispatches: number }[];
}

export interface BenchReport {
  device: Pick<DeviceInfo, 'vendor' | 'architecture' | 'device' | 'description' | 'backend' | 'platform' | 'isSoftware'> & {
    timestamps: boolean;
  };
  host: { cpus: number; node: string; loadavg_start: number[]; loadavg_end: number[] };
  date: string;
  mode: 'full' | 'quick';
  /** Conv shapes with a tuned variant (cnnx tune) that the end-to-end runs used; 0: the heuristics alone. */
  tuned_shapes: number;
  /** The best of the roofs measured at the start and at the end of the run. */
  roofs: Roofs;
  roof_runs: Roofs[];
  peer: { name: string; version: string } | { name: string; reason: string } | null;
  results: ResultRow[];
  e2e: E2eRow[];
  /** The fastest variant per pass and shape, where a pass has several. */
  winners: { op: string; pass: string; label: string; variant: string; ms: number; others: Record<string, number | null> }[];
  seconds: number;
}

const fmt = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits);

/** The results as markdown tables. */
export function markdownTables(r: BenchReport): string {
  const lines: string[] = [];
  lines.push(`| kernel | variant | shape | ms | GFLOP/s | GB/s | % roof | peer ms | peer/cnnx | load |`);
  lines.push(`| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
  for (const row of r.results) {
    const peer = row.peer ? (row.peer.ms === null ? 'n/a' : fmt(row.peer.ms)) : '-';
    const ratio = row.peer?.ratio !== undefined && row.peer.ratio !== null ? fmt(row.peer.ratio) : '-';
    const variant = row.winner && r.results.filter((o) => o.op === row.op && o.pass === row.pass && o.label === row.label).length > 1
      ? `**${row.variant}**`
      : row.variant;
    lines.push(
      `| ${row.op}.${row.pass} | ${variant} | ${row.label}: ${row.shape} | ${row.ms === null ? (row.error ?? 'failed') : fmt(row.ms)} | ` +
        `${fmt(row.gflops)} | ${fmt(row.gbps)} | ${row.roof_fraction === null ? '-' : fmt(100 * row.roof_fraction, 1)} | ${peer} | ${ratio} | ` +
        `${fmt(row.load_1m, 1)} |`,
    );
  }
  if (r.e2e.length > 0) {
    lines.push('', '| end to end | shape | images/s | ms/step | host ms/step | ms/step alone | steps per wait | peer images/s | peer ms/step alone | cnnx/peer | load |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const e of r.e2e) {
      const peer = e.peer?.images_per_s ?? null;
      const speedup = e.images_per_s !== null && peer !== null ? fmt(e.images_per_s / peer) : '-';
      lines.push(`| ${e.name} | ${e.shape} | ${e.images_per_s === null ? (e.error ?? 'failed') : fmt(e.images_per_s, 3)} | ` +
        `${fmt(e.ms_per_step, 1)} | ${fmt(e.host_ms_per_step, 1)} | ${fmt(e.ms_per_step_synced, 1)} | ${e.steps_per_sync ?? '-'} | ` +
        `${peer === null ? `n/a${e.peer?.reason ? ` (${e.peer.reason})` : ''}` : fmt(peer, 3)} | ${fmt(e.peer?.ms_per_step_synced, 1)} | ` +
        `${speedup} | ${fmt(e.load_1m, 1)} |`);
    }
  }
  return lines.join('\n');
}

/** Notes on peers that could not run, once each. */
export function peerNotes(r: BenchReport): string[] {
  const notes = new Map<string, string>();
  for (const row of r.results) {
    if (row.peer?.ms === null && row.peer.reason) notes.set(`${row.op}.${row.pass}: ${row.peer.reason}`, '');
  }
  return [...notes.keys()];
}

export function header(r: BenchReport): string[] {
  const d = r.device;
  return [
    `device: ${d.description || d.device} (${d.vendor}, ${d.architecture}; ${d.platform}, ${d.backend}${d.isSoftware ? ', software' : ''})`,
    `host: ${r.host.cpus} CPUs, Node ${r.host.node}; load average ${r.host.loadavg_start.map((l) => l.toFixed(2)).join(' ')} ` +
      `at start, ${r.host.loadavg_end.map((l) => l.toFixed(2)).join(' ')} at end`,
    `date: ${r.date}; mode: ${r.mode}; ${r.seconds.toFixed(0)} s; tuned kernel choices: ${r.tuned_shapes ? `${r.tuned_shapes} shapes` : 'none'}`,
    `roofs: FMA ${r.roofs.fma_gflops.toFixed(2)} GFLOP/s, copy ${r.roofs.copy_gbps.toFixed(2)} GB/s ` +
      `(best of ${r.roof_runs.map((x) => `${x.fma_gflops.toFixed(1)}/${x.copy_gbps.toFixed(1)}`).join(', ')})`,
    `peer: ${r.peer ? ('version' in r.peer ? `${r.peer.name} ${r.peer.version}` : `${r.peer.name}: ${r.peer.reason}`) : 'not run'}`,
  ];
}
