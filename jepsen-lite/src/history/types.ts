// The recorded history: one entry per line of history.jsonl, in the order the recorder saw
// them. `index` is that order (dense, from 0) and is the real-time order the checkers trust;
// `time` is monotonic nanoseconds since the run started, used for reports and liveness.
// Invariant: a client process has at most one outstanding invoke at a time.

/** A JSON value as it appears in history.jsonl (keys and values are strings there). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export type EntryType = 'invoke' | 'ok' | 'fail' | 'info';

/** A client operation's invocation or completion. */
export interface ClientEntry {
  readonly process: number | string;
  readonly type: EntryType;
  readonly f: string;
  readonly key?: string;
  readonly value: Json;
  readonly time: number;
  readonly index: number;
  /** Optional free-form detail (error code); ignored by checkers. */
  readonly error?: string;
  /** The member that served the operation (its reply header), named in anomalies. */
  readonly node?: string;
  /** The store revision in the reply's header (for a put: the revision it created). */
  readonly revision?: number;
  /** On an invoke: the client (connection) issuing it, stable across process renames. */
  readonly client?: number | string;
}

/** The nemesis only logs `info` entries: a fault began or ended at `time`. */
export interface NemesisEntry {
  readonly process: 'nemesis';
  readonly type: 'info';
  readonly f: NemesisF;
  readonly value: Json;
  readonly time: number;
  readonly index: number;
}

/**
 * Fault starts and ends; liveness pairs them to find when the cluster was whole again.
 * `start-delay`/`stop-delay` bound a window of slow, jittery, lossy links; `start-clock`/
 * `stop-clock` a member whose wall clock is skewed (and which is cut off); `compact` is an
 * instantaneous event (the store compacted at a revision), not a fault.
 */
export type NemesisF =
  | 'start-partition' | 'stop-partition'
  | 'start-delay' | 'stop-delay'
  | 'start-clock' | 'stop-clock'
  | 'kill' | 'restart'
  | 'pause' | 'resume'
  | 'transfer-leader'
  | 'remove-member' | 'add-member'
  | 'compact'
  | 'corrupt'
  | 'heal';

export const NEMESIS_FS: readonly NemesisF[] = [
  'start-partition', 'stop-partition', 'start-delay', 'stop-delay', 'start-clock', 'stop-clock', 'kill', 'restart', 'pause', 'resume',
  'transfer-leader', 'remove-member', 'add-member', 'compact', 'corrupt', 'heal',
];

/**
 * Things the runner observed that are not invoke/complete pairs: a watcher's stream (start,
 * resume, each response batch), a config SDK instance's applied snapshots, and the end-of-run evidence (final reads, the global event
 * history, replica hashes). Always `type: 'info'`; `process` names the watcher or the node.
 */
export interface ObservationEntry {
  readonly process: number | string;
  readonly type: 'info';
  readonly f: ObservationF;
  readonly key?: string;
  readonly value: Json;
  readonly time: number;
  readonly index: number;
}

export type ObservationF =
  | 'watch-start' | 'watch-resume' | 'watch-batch' | 'watch-end'
  | 'config-apply'
  | 'final-read' | 'final-history' | 'final-hash' | 'final-read-behind';

export const OBSERVATION_FS: readonly ObservationF[] = [
  'watch-start', 'watch-resume', 'watch-batch', 'watch-end', 'config-apply', 'final-read', 'final-history', 'final-hash', 'final-read-behind',
];

export type HistoryEntry = ClientEntry | NemesisEntry | ObservationEntry;

export const isNemesisEntry = (e: HistoryEntry): e is NemesisEntry => e.process === 'nemesis';

export const isObservationEntry = (e: HistoryEntry): e is ObservationEntry =>
  e.type === 'info' && (OBSERVATION_FS as readonly string[]).includes(e.f);

/**
 * An invoke paired with its completion. `type` is the completion's type: `info` means
 * indeterminate (it may or may not have taken effect) and such an operation completes at
 * +infinity, which we spell `completeIndex: null` so results stay JSON.
 */
export interface Operation {
  /** Dense id 0..n-1 in invoke order. */
  readonly id: number;
  readonly process: number | string;
  readonly f: string;
  readonly key?: string;
  /** The value given at invoke (e.g. the value to write). */
  readonly invokeValue: Json;
  /** The completion's value for ok/fail (e.g. what a read returned); the invoke value for info. */
  readonly value: Json;
  readonly type: 'ok' | 'fail' | 'info';
  readonly invokeIndex: number;
  readonly completeIndex: number | null;
  readonly invokeTime: number;
  readonly completeTime: number | null;
  /** When the client got its answer, an indeterminate one included; null: the history ended first. */
  readonly answeredTime: number | null;
  /** The member that served it, when the completion says (never for an unanswered op). */
  readonly node?: string;
  /** The reply header's store revision, when the completion records it. */
  readonly revision?: number;
  /** The client that issued it (its invoke's `client`, else its process). */
  readonly client: number | string;
}
