// Client history for writes and reads, and the linearizable-read check. A write is
// acknowledged when the member it was proposed to applies it (as a Kite server answers a put).
// A read is a readIndex request at some member, served once that member's state machine has
// applied the returned index. Linearizability for reads: the served state must include every
// write acknowledged before the read began, i.e. the value read for the key comes from a log
// index >= that of the latest such write.

import type { LogIndex, NodeId } from './core.js';
import type { KvCell } from './kv-model.js';
import { SimViolation } from './violation.js';

interface PendingWrite {
  readonly key: string;
  readonly host: NodeId;
  readonly incarnation: number;
}

interface PendingRead {
  readonly key: string;
  readonly host: NodeId;
  /** Index of the newest write to `key` acknowledged before this read began. */
  readonly mustSeeIndex: LogIndex;
}

/** Client requests outstanding at once; more are refused (the client is back-pressured). */
export const clientRequestsMax = 2_000;

export class ClientHistory {
  private nextWriteId = 1;
  private nextReadId = 1;
  private readonly pendingWrites = new Map<number, PendingWrite>();
  private readonly pendingReads = new Map<string, PendingRead>();
  private readonly latestAcked = new Map<string, LogIndex>();
  private readonly ackedIds = new Set<number>();
  acked = 0;
  served = 0;

  get canIssue(): boolean {
    return this.pendingWrites.size + this.pendingReads.size < clientRequestsMax;
  }

  beginWrite(key: string, host: NodeId, incarnation: number): number {
    const writeId = this.nextWriteId++;
    this.pendingWrites.set(writeId, { key, host, incarnation });
    return writeId;
  }

  isAcked(writeId: number): boolean {
    return this.ackedIds.has(writeId);
  }

  /** The proposal was refused (not leader, dropped): the client knows it did not happen. */
  abandonWrite(writeId: number): void {
    this.pendingWrites.delete(writeId);
  }

  /** A member applied a write; if it is the member the client asked, the client is answered. */
  onApplied(host: NodeId, incarnation: number, writeId: number, index: LogIndex): void {
    const w = this.pendingWrites.get(writeId);
    if (w === undefined || w.host !== host || w.incarnation !== incarnation) return;
    this.pendingWrites.delete(writeId);
    this.ackedIds.add(writeId);
    this.acked++;
    this.latestAcked.set(w.key, Math.max(this.latestAcked.get(w.key) ?? 0, index));
  }

  beginRead(key: string, host: NodeId): string {
    const context = `r${this.nextReadId++}`;
    this.pendingReads.set(context, { key, host, mustSeeIndex: this.latestAcked.get(key) ?? 0 });
    return context;
  }

  /** The read was refused (no leader known, queue full): the client knows it failed. */
  abandonRead(context: string): void {
    this.pendingReads.delete(context);
  }

  /** Reads the key from the serving member's state machine and checks it is fresh enough. */
  onReadServed(host: NodeId, context: string, lookup: (key: string) => KvCell | undefined): void {
    const r = this.pendingReads.get(context);
    if (r === undefined || r.host !== host) return;
    this.pendingReads.delete(context);
    this.served++;
    const seenIndex = lookup(r.key)?.index ?? 0;
    if (seenIndex < r.mustSeeIndex) {
      throw new SimViolation(
        'Linearizable Read',
        `read ${context} of ${r.key} at ${host} saw the write at index ${seenIndex}, ` +
          `but the write at index ${r.mustSeeIndex} was acknowledged before the read began`,
      );
    }
  }

  /** A crashed member never answers its outstanding requests (the client times out). */
  forgetHost(host: NodeId): void {
    for (const [ctx, r] of this.pendingReads) if (r.host === host) this.pendingReads.delete(ctx);
    for (const [id, w] of this.pendingWrites) if (w.host === host) this.pendingWrites.delete(id);
  }
}
