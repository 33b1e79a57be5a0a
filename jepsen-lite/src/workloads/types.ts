// The workload contract. A workload drives client processes against the cluster until the
// runner's stop signal, recording every operation; after the heal and recovery phases it
// records end-of-run evidence (final reads, hashes, global event history); then it names the
// checkers that judge its history.

import type { ClientMutantName, KiteClient } from '@kite/client';
import type { CheckResult } from '../checkers/index.js';
import type { Cluster } from '../cluster/cluster.js';
import type { PairedHistory } from '../history/index.js';
import type { Recorder } from '../run/recorder.js';
import type { Rng } from '../util/rng.js';

export const WORKLOAD_NAMES = ['register', 'append', 'watch', 'lock', 'lock-unfenced', 'lease', 'config'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/** One line per workload for `jepsen-lite run --help`: what it drives and what its checkers judge. */
export const WORKLOAD_SUMMARIES: Readonly<Record<WorkloadName, string>> = {
  register: 'reads, writes and CAS on a few keys; linearizability (register model), durability',
  append: 'txns appending to and reading lists; Elle-style list-append anomalies, durability',
  watch: 'writers plus watchers that reconnect across members; gap-free, ordered, duplicate-free streams',
  lock: 'counter increments under the lock recipe, fenced; linearizability, mutual exclusion',
  'lock-unfenced': 'the same without fencing (shows the hazard the fence removes)',
  lease: 'leases renewed then dropped; no premature expiry, eventual expiry',
  config: 'config-center releases, gray start/promote/abort and rollbacks of one app while SDK instances on every member record each snapshot they apply; no mixed or unknown release applied, every instance converges to the final release',
};

export interface WorkloadContext {
  readonly cluster: Cluster;
  readonly recorder: Recorder;
  readonly rng: Rng;
  readonly concurrency: number;
  /** Target operations per second over all client processes. */
  readonly rateHz: number;
  /** Deadline of one client call, retries included. */
  readonly opTimeoutMs: number;
  /** Aborts when the workload must stop issuing new operations. */
  readonly signal: AbortSignal;
  /** The deliberately broken client behaviour the run's workload clients get (--client-mutant), or null. */
  readonly clientMutant: ClientMutantName | null;
  /** A client for worker `i` (created on first use, closed by the runner). */
  clientFor(worker: number): Promise<KiteClient>;
  log(line: string): void;
}

export interface CheckInputs {
  readonly history: PairedHistory;
  /** Recovery bound for the liveness checker. */
  readonly recoveryBoundMs: number;
  /** Time (ns) the history ends. */
  readonly endTimeNs: number;
}

export interface Workload {
  readonly name: WorkloadName;
  /** Runs the client processes until ctx.signal aborts and every in-flight op has completed. */
  run(ctx: WorkloadContext): Promise<void>;
  /** Records final reads and other end-of-run evidence (the cluster is healed). */
  finalReads(ctx: WorkloadContext): Promise<void>;
  check(inputs: CheckInputs): CheckResult[];
}
