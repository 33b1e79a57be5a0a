// Latency statistics for `kite bench`: every latency is kept (bounded by --total, itself
// bounded by BENCH_TOTAL_MAX) so percentiles are exact, not estimated.

export const BENCH_TOTAL_MAX = 10_000_000;

export class LatencyRecorder {
  private readonly samples: Float64Array;
  private n = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(ms: number): void {
    if (this.n < this.samples.length) this.samples[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  summary(): LatencySummary {
    const s = this.samples.slice(0, this.n).sort();
    return summarize(s);
  }
}

export interface LatencySummary {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
}

/** Nearest-rank percentile of sorted samples (p in (0, 100]). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(sorted: ArrayLike<number>): LatencySummary {
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = n === 0 ? 0 : sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i]! - mean) ** 2;
  return {
    count: n,
    min: n === 0 ? 0 : sorted[0]!,
    max: n === 0 ? 0 : sorted[n - 1]!,
    mean,
    stddev: n === 0 ? 0 : Math.sqrt(sq / n),
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
  };
}

export interface BenchResult {
  readonly op: string;
  readonly clients: number;
  readonly conns: number;
  readonly total: number;
  readonly keySize: number;
  readonly valSize: number;
  readonly consistency: 'l' | 's';
  readonly rate: number;
  readonly watchers?: number;
  readonly durationMs: number;
  readonly opsPerSec: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly latencyMs: LatencySummary;
}

export function formatBench(r: BenchResult): string {
  const ms = (x: number): string => `${x.toFixed(3)} ms`;
  const l = r.latencyMs;
  return [
    `Summary (${r.op}: ${r.total} ops, ${r.clients} clients over ${r.conns} connections${r.watchers !== undefined ? `, ${r.watchers} watchers` : ''}):`,
    `  Total:        ${(r.durationMs / 1000).toFixed(3)} s`,
    r.watchers !== undefined ? `  Events/sec:   ${r.opsPerSec.toFixed(1)} (delivered to all watchers)` : `  Ops/sec:      ${r.opsPerSec.toFixed(1)}`,
    `  Errors:       ${r.errors}${r.errorSamples.length > 0 ? ` (e.g. ${r.errorSamples[0]})` : ''}`,
    `  Fastest:      ${ms(l.min)}`,
    `  Slowest:      ${ms(l.max)}`,
    `  Average:      ${ms(l.mean)}`,
    `  Stddev:       ${ms(l.stddev)}`,
    '',
    'Latency percentiles:',
    `  p50    ${ms(l.p50)}`,
    `  p90    ${ms(l.p90)}`,
    `  p99    ${ms(l.p99)}`,
    `  p99.9  ${ms(l.p999)}`,
    '',
  ].join('\n');
}
