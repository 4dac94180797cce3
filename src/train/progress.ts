/**
 * Training progress: a single redrawn line (epoch, step, loss, images/s, ETA) on a terminal; on a pipe or a log
 * file, plain lines at most every few seconds plus one per epoch, so logs stay readable.
 */

export interface ProgressState {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number | null;
  imagesPerSecond: number;
  etaSeconds: number;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Seconds between plain lines when not on a terminal. */
  plainInterval?: number;
  quiet?: boolean;
}

export class Progress {
  private readonly stream: NonNullable<ProgressOptions['stream']>;
  private readonly tty: boolean;
  private lastPlain = 0;
  private drawn = false;

  constructor(private readonly options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
  }

  update(s: ProgressState): void {
    if (this.options.quiet) return;
    const width = 24;
    const filled = Math.round((width * s.step) / Math.max(1, s.steps));
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const loss = s.loss === null ? '  ...  ' : s.loss.toFixed(4);
    const text =
      `epoch ${s.epoch}/${s.epochs} [${bar}] step ${s.step}/${s.steps} loss ${loss} ` +
      `${s.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(s.etaSeconds)}`;
    if (this.tty) {
      const columns = (this.stream as { columns?: number }).columns ?? 120;
      this.stream.write(`\r${text.slice(0, columns - 1)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.lastPlain >= (this.options.plainInterval ?? 10) * 1000 || s.step === s.steps) {
      this.lastPlain = now;
      this.stream.write(`${text}\n`);
    }
  }

  /** A line that stays (epoch summaries, warnings). */
  log(line: string): void {
    if (this.options.quiet) return;
    if (this.drawn) this.stream.write('\r\x1b[K');
    this.drawn = false;
    this.stream.write(`${line}\n`);
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}
