// Liveness: once every fault has healed, writes succeed again within a bound. A heal point is
// when the last open fault ends (stop-partition, stop-delay, restart, resume, heal) or an
// instantaneous fault happens with nothing open (leader transfer, member change). A compaction
// is not a fault: it neither opens a window nor cuts one short. From each heal point the
// first write that completes ok must complete within the bound. A window cut short by the next
// fault is skipped; one cut short by the end of the history is 'unknown'.

import type { NemesisEntry, NemesisF, Operation } from '../history/types.js';
import type { Anomaly, CheckResult, Validity } from './result.js';
import { combineValidity } from './result.js';

const NS_PER_MS = 1_000_000;

const FAULT_STARTS: ReadonlySet<NemesisF> = new Set(['start-partition', 'start-delay', 'kill', 'pause']);
const FAULT_ENDS: ReadonlySet<NemesisF> = new Set(['stop-partition', 'stop-delay', 'restart', 'resume']);
const INSTANT_FAULTS: ReadonlySet<NemesisF> = new Set(['transfer-leader', 'remove-member', 'add-member']);
const DEFAULT_WRITE_FS: readonly string[] = ['write', 'cas', 'txn', 'put', 'append'];

export type LivenessBound =
  | { readonly recoveryBoundMs: number }
  | { readonly electionTimeoutMs: number; readonly electionTimeouts: number };

export interface LivenessOptions {
  readonly bound: LivenessBound;
  /** Time (ns) the history ends; defaults to the latest time in it. */
  readonly endTime?: number;
  /** Which operation names count as writes. */
  readonly writeFs?: readonly string[];
}

interface Window {
  readonly healTime: number;
  /** When the next fault starts, if any. */
  readonly nextFaultTime: number | null;
}

export function healWindows(nemesis: readonly NemesisEntry[]): Window[] {
  const sorted = [...nemesis].sort((a, b) => a.index - b.index);
  const heals: number[] = [];
  const faultStarts: number[] = [];
  let open = 0;
  for (const e of sorted) {
    if (FAULT_STARTS.has(e.f)) {
      open++;
      faultStarts.push(e.time);
    } else if (FAULT_ENDS.has(e.f) || e.f === 'heal') {
      const wasOpen = open > 0;
      open = e.f === 'heal' ? 0 : Math.max(0, open - 1);
      if (wasOpen && open === 0) heals.push(e.time);
    } else if (INSTANT_FAULTS.has(e.f)) {
      faultStarts.push(e.time);
      if (open === 0) heals.push(e.time);
    }
  }
  return heals.map((healTime) => ({ healTime, nextFaultTime: faultStarts.find((t) => t > healTime) ?? null }));
}

export function checkLiveness(operations: readonly Operation[], nemesis: readonly NemesisEntry[], options: LivenessOptions): CheckResult {
  const b = options.bound;
  const boundMs = 'recoveryBoundMs' in b ? b.recoveryBoundMs : b.electionTimeoutMs * b.electionTimeouts;
  const boundNs = boundMs * NS_PER_MS;
  const writeFs = new Set(options.writeFs ?? DEFAULT_WRITE_FS);
  const okWriteTimes = operations
    .filter((op) => op.type === 'ok' && writeFs.has(op.f) && op.completeTime !== null)
    .map((op) => op.completeTime as number)
    .sort((x, y) => x - y);
  const endTime = options.endTime ?? Math.max(0, ...operations.map((op) => op.completeTime ?? op.invokeTime), ...nemesis.map((e) => e.time));
  const anomalies: Anomaly[] = [];
  const verdicts: Validity[] = [];
  let recovered = 0;
  let skipped = 0;
  let recoveryMsMax = 0;
  const windows = healWindows(nemesis);
  for (const w of windows) {
    const deadline = w.healTime + boundNs;
    const first = okWriteTimes.find((t) => t >= w.healTime);
    if (first !== undefined && first <= deadline && (w.nextFaultTime === null || first <= w.nextFaultTime)) {
      recovered++;
      recoveryMsMax = Math.max(recoveryMsMax, (first - w.healTime) / NS_PER_MS);
      verdicts.push(true);
    } else if (w.nextFaultTime !== null && w.nextFaultTime < deadline) {
      skipped++;
    } else if (endTime < deadline) {
      verdicts.push('unknown');
      anomalies.push({
        type: 'recovery-unobserved',
        message: `healed at ${w.healTime / NS_PER_MS} ms but the history ends before the ${boundMs} ms bound with no successful write`,
        healTimeMs: w.healTime / NS_PER_MS, boundMs,
      });
    } else {
      verdicts.push(false);
      anomalies.push({
        type: 'no-recovery',
        message: `no write succeeded within ${boundMs} ms of the heal at ${w.healTime / NS_PER_MS} ms` +
          (first === undefined ? '' : ` (first at +${(first - w.healTime) / NS_PER_MS} ms)`),
        healTimeMs: w.healTime / NS_PER_MS, boundMs, firstOkAfterMs: first === undefined ? null : (first - w.healTime) / NS_PER_MS,
      });
    }
  }
  return {
    checker: 'liveness',
    valid: combineValidity(verdicts),
    anomalies,
    stats: { healPoints: windows.length, recovered, skipped, recoveryMsMax, boundMs },
  };
}
