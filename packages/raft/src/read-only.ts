// The leader's ReadIndex queue (§6.4 of Ongaro's thesis).
//
// A read is served at a read index once the leader has proven it was still the leader after
// the read arrived. Reads are batched into rounds: every read that arrives before the next
// Ready joins one round, the round's heartbeat carries its context, and a quorum of acks
// confirms every read in it (and in all older rounds: a later confirmation implies the
// earlier ones). A new leader holds reads until an entry of its own term commits (before
// that its commit index may lag the true one).
//
// Limit: at most `maxPending` reads are held in total (waiting + unsent + in rounds).

import type { LogIndex, NodeId } from './types.js';

export interface ReadRequest {
  /** Who asked: the leader itself (answer with a ReadState) or a follower (send a response). */
  readonly from: NodeId;
  readonly context: string;
}

interface Round {
  readonly context: string;
  readonly index: LogIndex;
  readonly requests: readonly ReadRequest[];
  readonly acks: Set<NodeId>;
}

export class ReadOnly {
  /** Reads held until the leader commits an entry of its term. */
  private waitingForTermCommit: ReadRequest[] = [];
  /** Reads that join the next round (started at the next Ready). */
  private unsent: ReadRequest[] = [];
  private rounds: Round[] = [];
  private seq = 0;

  constructor(readonly maxPending: number) {}

  pendingCount(): number {
    let n = this.waitingForTermCommit.length + this.unsent.length;
    for (const r of this.rounds) n += r.requests.length;
    return n;
  }

  isFull(): boolean {
    return this.pendingCount() >= this.maxPending;
  }

  holdUntilTermCommit(req: ReadRequest): void {
    this.waitingForTermCommit.push(req);
  }

  takeHeldForTermCommit(): ReadRequest[] {
    const held = this.waitingForTermCommit;
    this.waitingForTermCommit = [];
    return held;
  }

  addUnsent(req: ReadRequest): void {
    this.unsent.push(req);
  }

  hasUnsent(): boolean {
    return this.unsent.length > 0;
  }

  /** Starts a round for all unsent reads at read index `index`; returns its context. */
  startRound(term: number, index: LogIndex, self: NodeId): string {
    const context = `${term}.${++this.seq}`;
    this.rounds.push({ context, index, requests: this.unsent, acks: new Set([self]) });
    this.unsent = [];
    return context;
  }

  /** The newest round's context (sent again with periodic heartbeats in case acks were lost). */
  lastContext(): string | null {
    return this.rounds[this.rounds.length - 1]?.context ?? null;
  }

  /**
   * Records `from`'s ack of round `context`. When `confirmed` says that round's acks form a
   * quorum, removes it and every older round and returns them (oldest first) for answering.
   */
  recvAck(from: NodeId, context: string, confirmed: (acks: ReadonlySet<NodeId>) => boolean): { index: LogIndex; requests: readonly ReadRequest[] }[] {
    const at = this.rounds.findIndex((r) => r.context === context);
    const round = this.rounds[at];
    if (round === undefined) return [];
    round.acks.add(from);
    if (!confirmed(round.acks)) return [];
    const done = this.rounds.slice(0, at + 1);
    this.rounds = this.rounds.slice(at + 1);
    return done.map((r) => ({ index: r.index, requests: r.requests }));
  }

  /** Re-evaluates all rounds (after a configuration change shrinks the quorum). */
  recheck(confirmed: (acks: ReadonlySet<NodeId>) => boolean): { index: LogIndex; requests: readonly ReadRequest[] }[] {
    let last = -1;
    this.rounds.forEach((r, i) => {
      if (confirmed(r.acks)) last = i;
    });
    const done = this.rounds.slice(0, last + 1);
    this.rounds = this.rounds.slice(last + 1);
    return done.map((r) => ({ index: r.index, requests: r.requests }));
  }

  reset(): void {
    this.waitingForTermCommit = [];
    this.unsent = [];
    this.rounds = [];
  }
}
