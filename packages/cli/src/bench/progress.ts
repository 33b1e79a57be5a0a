// A one-line progress bar on stderr, redrawn at most every PROGRESS_REDRAW_MS, and only on a
// terminal (piped stderr stays clean for logs).

export const PROGRESS_REDRAW_MS = 100;
const BAR_CELLS = 30;

export class ProgressBar {
  private lastDraw = 0;
  private readonly started = performance.now();
  private readonly enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly label: string,
    stream: { isTTY?: boolean } = process.stderr,
  ) {
    this.enabled = stream.isTTY === true;
  }

  update(done: number, force = false): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < PROGRESS_REDRAW_MS) return;
    this.lastDraw = now;
    const frac = this.total === 0 ? 1 : Math.min(1, done / this.total);
    const cells = Math.round(frac * BAR_CELLS);
    const rate = done / Math.max(0.001, (now - this.started) / 1000);
    process.stderr.write(`\r${this.label} [${'#'.repeat(cells)}${'-'.repeat(BAR_CELLS - cells)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${this.total}  ${rate.toFixed(0)} ops/s `);
  }

  finish(done: number): void {
    if (!this.enabled) return;
    this.update(done, true);
    process.stderr.write('\n');
  }
}
