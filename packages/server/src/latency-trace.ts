// A latency trace of a write's hops inside a member, for finding where a lone put's time goes
// (test/bench/latency-breakdown.ts merges the members' traces with the client's).
//
// Off unless KITE_LATENCY_TRACE names a directory: then every `traceHop` records the hop and
// the system-wide monotonic clock (CLOCK_MONOTONIC through process.hrtime, so the traces of
// several processes on one machine line up) in preallocated arrays, and at exit the member
// writes them to <dir>/trace-<pid>.tsv as "<microseconds>\t<hop>" lines. Off, a hop costs one
// boolean test; on, the memory is bounded by TRACE_EVENTS_MAX (later hops are not recorded).

import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where a write is, on one member. */
export type TraceHop =
  /** OpServer.serve starts a request (both doors). */
  | 'serve'
  /** OpServer.serve has the reply (the door encodes and writes it next). */
  | 'served'
  /** A follower sends a request to the leader. */
  | 'forwardSend'
  /** The leader got a forwarded request. */
  | 'forwardRecv'
  /** The follower got the leader's reply to its forward. */
  | 'forwardReplyRecv'
  /** The follower's own apply reached the leader's applied index (apply before reply). */
  | 'forwardApplied'
  /** Host.proposeKv hands a command to the core. */
  | 'propose'
  /** Raft messages from a peer reach the host. */
  | 'step'
  /** The host loop starts a turn (after its setImmediate). */
  | 'loop'
  /** A Ready with entries to persist. */
  | 'readyEntries'
  /** A Ready with committed entries. */
  | 'readyCommit'
  /** The WAL write of a Ready starts / is durable. */
  | 'persistStart'
  | 'persistDone'
  /** A Ready's raft messages are handed to the transport. */
  | 'send'
  /** The peer outbox writes its queued frames (the end of a turn). */
  | 'outboxFlush'
  /** The store batch of committed entries starts / is written. */
  | 'applyStart'
  | 'applyDone';

/** Hops recorded at most per process (two arrays of this many numbers). */
export const TRACE_EVENTS_MAX = 2_000_000;

const traceDir = process.env['KITE_LATENCY_TRACE'];
const enabled = traceDir !== undefined && traceDir !== '';
const hopNames: TraceHop[] = [];
const hopIds = new Map<TraceHop, number>();
const timesUs = enabled ? new Float64Array(TRACE_EVENTS_MAX) : new Float64Array(0);
const hops = enabled ? new Uint8Array(TRACE_EVENTS_MAX) : new Uint8Array(0);
let count = 0;

if (enabled) {
  process.on('exit', () => {
    const lines: string[] = [];
    for (let i = 0; i < count; i++) lines.push(`${(timesUs[i] as number).toFixed(1)}\t${hopNames[hops[i] as number] ?? '?'}`);
    writeFileSync(path.join(traceDir, `trace-${process.pid}.tsv`), lines.join('\n') + '\n');
  });
}

/** Records that a write reached `hop` now (no-op unless KITE_LATENCY_TRACE is set). */
export function traceHop(hop: TraceHop): void {
  if (!enabled || count >= TRACE_EVENTS_MAX) return;
  let id = hopIds.get(hop);
  if (id === undefined) {
    id = hopNames.length;
    hopNames.push(hop);
    hopIds.set(hop, id);
  }
  timesUs[count] = Number(process.hrtime.bigint()) / 1000;
  hops[count] = id;
  count++;
}
