// The leader's view of one follower's log: what matches (`match`), what to send next (`next`),
// and how to send it:
//   probe     - we do not know where the logs diverge: one appendEntries per heartbeat/response;
//   replicate - logs match up to `match`: stream entries optimistically, bounded by inflights;
//   snapshot  - the follower needs entries we compacted: wait for the snapshot to land.
// Invariant: match < next.

import { assert } from '../assert.js';
import type { LogIndex } from '../types.js';
import { Inflights } from './inflights.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match: LogIndex = 0;
  next: LogIndex;
  state: ProgressState = 'probe';
  /** In snapshot state: the index of the snapshot sent. */
  pendingSnapshot: LogIndex = 0;
  /** Heard from since the last CheckQuorum round (or just added). */
  recentActive = false;
  /** In probe state: an appendEntries is outstanding; wait for a response or heartbeat. */
  msgAppFlowPaused = false;
  /** Leader tick at which the latest heartbeat this follower acknowledged was sent (lease). */
  leaseAckTick = Number.NEGATIVE_INFINITY;
  /** Leader tick at which the pending snapshot was sent (snapshotRetryTicks). */
  snapshotSentTick = 0;
  readonly inflights: Inflights;

  constructor(next: LogIndex, maxInflight: number, public isLearner: boolean) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // After a snapshot, resume probing just past it: the follower has it (or will say not).
    const next = this.state === 'snapshot' ? Math.max(this.match + 1, this.pendingSnapshot + 1) : this.match + 1;
    this.resetState('probe');
    this.next = next;
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /** A successful response up to `index`. Returns whether `match` moved. */
  maybeUpdate(index: LogIndex): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** Bookkeeping after sending entries ending at `lastIndex` (`count` of them). */
  sentEntries(count: number, lastIndex: LogIndex): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.msgAppFlowPaused = true;
    } else {
      assert(false, 'sending entries to a follower in snapshot state');
    }
  }

  /**
   * The follower rejected an appendEntries after `rejected`; `matchHint` is the highest index
   * that may still match. Returns false for a stale rejection (nothing changes).
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.msgAppFlowPaused;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }
}
