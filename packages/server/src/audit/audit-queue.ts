// Audit records of requests refused before Raft (no permission, no login, no space...) and of
// member and alarm changes, which are not kv commands. They must be replicated like the rest
// of the trail but must never hold up or fail the request they describe, so they are queued
// here (bounded) and proposed in batches as `auditAppend` commands by a background flush: on
// the leader directly, on a follower forwarded to the leader. When the queue is full, or a
// batch cannot be proposed, records are dropped and counted (kite_audit_records_dropped_total);
// the drop is the documented price of never blocking a write.

import { AUDIT_APPEND_RECORDS_MAX, type AuditEntryInput } from '@kite/kvstore';

/** Records waiting to be proposed; past it, new ones are dropped (and counted). */
export const AUDIT_QUEUE_RECORDS_MAX = 10_000;
const FLUSH_INTERVAL_MS = 100;

export interface AuditQueueDeps {
  /** Proposes one batch (through the leader); rejects when it could not. */
  propose(records: readonly AuditEntryInput[]): Promise<void>;
  onDropped(count: number): void;
}

export class AuditQueue {
  private readonly queue: AuditEntryInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private stopped = false;

  constructor(private readonly deps: AuditQueueDeps) {}

  /** Never blocks and never throws. */
  add(entry: AuditEntryInput): void {
    if (this.stopped) return;
    if (this.queue.length >= AUDIT_QUEUE_RECORDS_MAX) {
      this.deps.onDropped(1);
      return;
    }
    this.queue.push(entry);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
  }

  get pending(): number {
    return this.queue.length;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    if (this.flushing || this.stopped) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        const batch = this.queue.splice(0, AUDIT_APPEND_RECORDS_MAX);
        await this.deps.propose(batch).catch(() => this.deps.onDropped(batch.length));
      }
    } finally {
      this.flushing = false;
    }
  }
}
