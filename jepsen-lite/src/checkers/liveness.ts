// Liveness: once every fault has healed, writes succeed again within a bound. A heal point is
// when the last open fault ends (stop-partition, stop-delay, stop-clock, restart, resume, heal) or an
// instantaneous fault happens with nothing open (leader transfer, member change). A compaction
// is not a fault: it neither opens a window nor cuts one short. From each heal point the
// first write that completes ok must complete within the bound. A window cut short by the next
// fault is skipped; one cut short by the end of the history is 'unknown'.
// The same holds per client, so a few clients stuck behind a member that never recovers are not
// hidden by the others' writes: every client with an operation in flight or issued in a
// window must have some operation (read or write) complete ok within the bound of the heal
// (client-stalled). During faults nothing is owed: a client cut off with a minority may stall
// until the heal, and an operation held up by the fault counts only from the heal on.

import type { NemesisEntry, NemesisF, Operation } from '../history/types.js';
import type { Anomaly, CheckResult, Validity } from './result.js';
import { combineValidity } from './result.js';
import { maxOf } from '../util/max.js';

const NS_PER_MS = 1_000_000;

const FAULT_STARTS: ReadonlySet<NemesisF> = new Set(['start-partition', 'start-delay', 'start-clock', 'kill', 'pause']);
const FAULT_ENDS: ReadonlySet<NemesisF> = new Set(['stop-partition', 'stop-delay', 'stop-clock', 'restart', 'resume']);
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
  /** History index of the entry that healed. */
  readonly healIndex: number;
  /** When the next fault starts, if any. */
  readonly nextFaultTime: number | null;
}

export function healWindows(nemesis: readonly NemesisEntry[]): Window[] {
  const sorted = [...nemesis].sort((a, b) => a.index - b.index);
  const heals: { time: number; index: number }[] = [];
  const faultStarts: number[] = [];
  let open = 0;
  for (const e of sorted) {
    if (FAULT_STARTS.has(e.f)) {
      open++;
      faultStarts.push(e.time);
    } else if (FAULT_ENDS.has(e.f) || e.f === 'heal') {
      const wasOpen = open > 0;
      open = e.f === 'heal' ? 0 : Math.max(0, open - 1);
      if (wasOpen && open === 0) heals.push({ time: e.time, index: e.index });
    } else if (INSTANT_FAULTS.has(e.f)) {
      faultStarts.push(e.time);
      if (open === 0) heals.push({ time: e.time, index: e.index });
    }
  }
  return heals.map((h) => ({ healTime: h.time, healIndex: h.index, nextFaultTime: faultStarts.find((t) => t > h.time) ?? null }));
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
  const endTime = options.endTime ?? maxOf([...operations.map((op) => op.completeTime ?? op.invokeTime), ...nemesis.map((e) => e.time)], 0);
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
  const perClient = checkClients(operations, windows, boundNs, endTime);
  return {
    checker: 'liveness',
    valid: combineValidity([...verdicts, ...perClient.verdicts]),
    anomalies: [...anomalies, ...perClient.anomalies],
    stats: { healPoints: windows.length, recovered, skipped, recoveryMsMax, boundMs, clients: perClient.clients, clientStalls: perClient.stalls },
  };
}

/** Anomalies listed per client check (the rest are counted in stats.clientStalls). */
export const CLIENT_STALLS_SHOWN_MAX = 20;

interface ClientVerdicts {
  readonly verdicts: readonly Validity[];
  readonly anomalies: readonly Anomaly[];
  readonly clients: number;
  readonly stalls: number;
}

function checkClients(operations: readonly Operation[], windows: readonly Window[], boundNs: number, endTime: number): ClientVerdicts {
  const byClient = new Map<number | string, Operation[]>();
  for (const op of operations) {
    const list = byClient.get(op.client);
    if (list === undefined) byClient.set(op.client, [op]);
    else list.push(op);
  }
  const verdicts: Validity[] = [];
  const anomalies: Anomaly[] = [];
  let stalls = 0;
  for (const w of windows) {
    const deadline = w.healTime + boundNs;
    if (w.nextFaultTime !== null && w.nextFaultTime < deadline) continue;
    for (const [client, ops] of byClient) {
      // Owed only by a client that wanted something in the window (an op open at the heal or issued before the deadline).
      const wanted = ops.some((op) => op.invokeTime < deadline && (op.answeredTime === null || op.answeredTime >= w.healTime));
      if (!wanted) continue;
      const firstOk = ops.find((op) => op.type === 'ok' && op.completeTime !== null && op.completeTime >= w.healTime);
      const at = firstOk?.completeTime ?? null;
      if (at !== null && at <= deadline) {
        verdicts.push(true);
      } else if (endTime < deadline) {
        verdicts.push('unknown');
      } else {
        verdicts.push(false);
        if (stalls++ < CLIENT_STALLS_SHOWN_MAX) anomalies.push(clientStalled(client, ops, w, boundNs, at));
      }
    }
  }
  return { verdicts, anomalies, clients: byClient.size, stalls };
}

function clientStalled(client: number | string, ops: readonly Operation[], w: Window, boundNs: number, firstOkAt: number | null): Anomaly {
  const healTime = w.healTime;
  const after = ops.filter((op) => op.answeredTime === null || op.answeredTime >= healTime);
  const failed = after.filter((op) => op.type === 'fail').length;
  const unknown = after.filter((op) => op.type === 'info').length;
  const lastServed = [...ops].reverse().find((op) => op.node !== undefined)?.node ?? null;
  // The failing window runs from the heal to the client's last answer: an operation stuck since
  // before the heal does not stretch it back into the fault.
  const lastAnswer = maxOf(after.map((op) => op.completeIndex ?? 0), w.healIndex);
  return {
    type: 'client-stalled',
    message: `client ${client} had no operation succeed within ${boundNs / NS_PER_MS} ms of the heal at ${healTime / NS_PER_MS} ms ` +
      `(${after.length} op(s) since: ${failed} failed, ${unknown} indeterminate${firstOkAt === null ? ', none ok' : `; first ok at +${(firstOkAt - healTime) / NS_PER_MS} ms`})` +
      (lastServed === null ? '' : `; last served by ${lastServed}`),
    client, node: lastServed, healTimeMs: healTime / NS_PER_MS, boundMs: boundNs / NS_PER_MS,
    firstOkAfterMs: firstOkAt === null ? null : (firstOkAt - healTime) / NS_PER_MS,
    window: { fromIndex: w.healIndex, toIndex: lastAnswer },
  };
}
