// The cluster's rate over the spans of a run: each phase and each fault window, as operations
// completed ok per second (all, and those that are not reads). Written into results.json and the
// report so what a fault costs is a number in the run's record (e.g. a gray leader's window
// against the calm phase), not a reading of the throughput plot.

import type { Operation } from '../history/types.js';

const NS_PER_S = 1e9;

export interface Span {
  readonly label: string;
  readonly startNs: number;
  readonly endNs: number;
}

export interface SpanRate {
  readonly label: string;
  readonly startS: number;
  readonly endS: number;
  readonly okPerS: number;
  readonly okWritesPerS: number;
}

const round = (x: number): number => Math.round(x * 10) / 10;

/** ok completions per second within each span (an empty span reports 0). */
export function spanRates(ops: readonly Operation[], spans: readonly Span[]): SpanRate[] {
  const done = ops.filter((op) => op.type === 'ok' && op.completeTime !== null)
    .map((op) => ({ t: op.completeTime as number, write: op.f !== 'read' }))
    .sort((a, b) => a.t - b.t);
  return spans.map((s) => {
    const seconds = (s.endNs - s.startNs) / NS_PER_S;
    let ok = 0;
    let writes = 0;
    for (const d of done) {
      if (d.t < s.startNs) continue;
      if (d.t >= s.endNs) break;
      ok++;
      if (d.write) writes++;
    }
    return {
      label: s.label, startS: round(s.startNs / NS_PER_S), endS: round(s.endNs / NS_PER_S),
      okPerS: seconds > 0 ? round(ok / seconds) : 0, okWritesPerS: seconds > 0 ? round(writes / seconds) : 0,
    };
  });
}
