// Deliberately broken builds, for proving that jepsen-lite's nemeses and checkers find the bug
// each one plants. Off unless the environment variable KITE_MUTANT names one (there is no flag
// or config key, so no configuration can turn one on by accident); an active mutant is logged
// as an error at start. Nothing here may change behaviour when KITE_MUTANT is unset.
//   wall-clock-ticks  the host's tick clock is the wall clock (Date.now) instead of the
//                     monotonic one: lease reads, election and CheckQuorum timers then follow
//                     clock steps and rate changes, so a leader whose clock jumps back keeps
//                     its read lease after its term may have ended (jepsen-lite's clock nemesis).
//   trust-damaged-wal the WAL is loaded as if its synced-offset hint did not exist, so damage
//                     to synced bytes at the end of the last segment (a truncation) is cut as
//                     a torn tail and the member starts on a log that lost acknowledged
//                     records (jepsen-lite's corrupt nemesis and corrupt-serving checker).
//   watch-ignore-restore the watch hub is not told of snapshot restores, so a watcher on a member
//                     that installs a snapshot silently skips the revisions the snapshot
//                     covered (a relative of etcd #15271; jepsen-lite's blackhole-snapshot
//                     nemesis and the watch checker).
//   ack-before-fsync  the host writes each Ready's entries and HardState WITHOUT the fdatasync
//                     before a follower acks them (and the leader counts itself): a power cut of
//                     a majority loses acknowledged writes (the host simulation's power cuts).
//   prune-snapshot-before-record  an installed snapshot's staged file is pruned BEFORE the Raft
//                     log records the snapshot: the store can then not be restored from it (the
//                     host simulation's snapshot installs).
//   compact-before-store-sync  a local snapshot compacts the Raft log WITHOUT first making the
//                     store durable (contract step 10): a power cut loses store batches the log
//                     no longer holds (the host simulation's store rollbacks).
//   applied-index-before-apply  before each apply batch the store records the batch's last
//                     index as applied, in a write of its own, and only then applies the data: a
//                     crash between the two (the before-apply failpoint) restarts the member on a
//                     store that skips entries it never applied, so it serves a state missing
//                     acknowledged writes (jepsen-lite's failpoint nemesis; etcd's consistent-index
//                     bugs are the anchor).
//   leader-reads-without-quorum  the leader serves linearizable reads from its own state without
//                     confirming it still leads (no ReadIndex heartbeat round), and CheckQuorum is
//                     off so a cut-off leader never steps down: a leader partitioned from its
//                     peers keeps answering reads while a new leader takes writes (jepsen-lite's
//                     partition nemeses, e.g. --net netns partition-leader).
//   follower-local-reads  a follower answers a linearizable read from its own state at once,
//                     without asking the leader for a read index: a follower that lags the leader
//                     serves stale state (jepsen-lite's gray-leader nemesis, whose slow, lossy
//                     leader links make every follower lag by hundreds of milliseconds).

import type { WatchSource } from '@kite/kvstore';
import type { MonotonicClock } from './clock.js';

export const MUTANT_ENV = 'KITE_MUTANT';
export const MUTANT_NAMES = ['wall-clock-ticks', 'trust-damaged-wal', 'watch-ignore-restore', 'ack-before-fsync', 'prune-snapshot-before-record', 'compact-before-store-sync', 'applied-index-before-apply', 'leader-reads-without-quorum', 'follower-local-reads'] as const;
export type MutantName = (typeof MUTANT_NAMES)[number];

export class MutantError extends Error {
  readonly code = 'MutantError';
}

/** The mutant the environment enables, or null; an unknown name is an error, not ignored. */
export function activeMutant(env: NodeJS.ProcessEnv = process.env): MutantName | null {
  const v = env[MUTANT_ENV];
  if (v === undefined || v === '') return null;
  if (!(MUTANT_NAMES as readonly string[]).includes(v)) throw new MutantError(`${MUTANT_ENV}=${v}: unknown mutant (known: ${MUTANT_NAMES.join(', ')})`);
  return v as MutantName;
}

/** The host's tick clock under the mutant, or null for the real (monotonic) one. */
export function mutantTickClock(mutant: MutantName | null): MonotonicClock | null {
  return mutant === 'wall-clock-ticks' ? () => Date.now() : null;
}

/** The watch hub's view of the store under the mutant: restores are never announced. */
export function mutantWatchSource(mutant: MutantName | null, store: WatchSource): WatchSource {
  if (mutant !== 'watch-ignore-restore') return store;
  return {
    get currentRevision() {
      return store.currentRevision;
    },
    get compactRevision() {
      return store.compactRevision;
    },
    onCommitted: (listener) => store.onCommitted(listener),
    onRestored: () => () => undefined,
    eventsBetween: (key, rangeEnd, fromRevision, toRevision, limitRevisions) => store.eventsBetween(key, rangeEnd, fromRevision, toRevision, limitRevisions),
  };
}
