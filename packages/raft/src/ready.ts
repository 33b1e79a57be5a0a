// Ready: everything the core asks the host to do after a batch of input.
// Host contract (in this order):
//   1. persist `snapshot`, `entries` and `hardState` (sync if `mustSync`);
//   2. send `messages`: a follower or candidate only once step 1 is durable (its acks and
//      votes claim what it persisted); a leader may send while its own persist runs (Raft
//      §10.2.1), since it counts its own log toward commit only after advance();
//   3. restore `snapshot` into the state machine, then apply `committedEntries` in order
//      (calling RawNode.applyConfChange for each confChange entry; entries with empty data
//      are leader no-ops);
//   4. serve `readStates` once applied >= their index;
//   5. call `advance(rd)`.
// One Ready is outstanding at a time: no ready() before advance(rd) (hasReady() is false
// meanwhile); tick/step/propose may still be called in between. `committedEntries` only ever
// holds entries this member has already persisted (in an earlier Ready), so nothing is applied
// or acknowledged that a crash could lose; a leader counts its own log toward commit only after
// advance() confirms it was persisted.

import type { Message } from './message.js';
import type { Entry, HardState, ReadState, Snapshot, SoftState } from './types.js';

export interface Ready {
  /** Present only when it changed since the last Ready. */
  readonly softState?: SoftState;
  /** Present only when it changed since the last Ready. */
  readonly hardState?: HardState;
  /** New log entries to append to stable storage (may overwrite a conflicting suffix). */
  readonly entries: readonly Entry[];
  /** A snapshot received from the leader, to persist and restore before applying. */
  readonly snapshot?: Snapshot;
  /** Entries known committed and not yet handed out, in index order. */
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /**
   * True when entries, a snapshot, or the term or vote changed: the host must fsync what it
   * persists (before a follower sends; see step 2). A commit index that alone moved needs none.
   */
  readonly mustSync: boolean;
}
