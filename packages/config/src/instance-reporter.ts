// Keeps an SDK instance's record (`<app>/instances/<id>`) current: grants a lease (kept alive
// by the client), writes the record under it, re-grants and re-writes after the lease is
// lost, and rewrites it whenever the applied snapshot changes. Reports coalesce: only the
// newest state is written, one write at a time, retried with bounded back-off; a report
// never blocks or fails the applying of config.
import type { RecipeClient, RecipeLease } from '@kite/client';
import type { AppKeys } from './keys.js';
import { encodeRecord, type InstanceRecord } from './model.js';

export const REPORT_RETRY_DELAY_MS_MIN = 100;
export const REPORT_RETRY_DELAY_MS_MAX = 2_000;

export class InstanceReporter {
  private lease: RecipeLease | null = null;
  private record: InstanceRecord;
  private dirty = true;
  private pumping = false;
  private closed = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly client: RecipeClient,
    private readonly keys: AppKeys,
    initial: InstanceRecord,
    private readonly leaseTtlSeconds: number,
    private readonly warn: (message: string) => void,
  ) {
    this.record = initial;
  }

  /** Writes `record` (now or as soon as the cluster answers). */
  report(record: InstanceRecord): void {
    this.record = record;
    this.dirty = true;
    if (!this.pumping) void this.pump();
    else this.wake?.();
  }

  /** Stops reporting and revokes the lease, so the record disappears at once. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    const l = this.lease;
    this.lease = null;
    await l?.revoke().catch(() => undefined);
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    let delayMs = REPORT_RETRY_DELAY_MS_MIN;
    try {
      while (this.dirty && !this.closed) {
        this.dirty = false;
        try {
          const lease = this.lease ?? (await this.grant());
          if (this.closed) return;
          await this.client.txn({
            compare: [],
            success: [{ type: 'put', key: this.keys.instance(this.record.id), value: encodeRecord(this.record), lease: lease.id }],
            failure: [],
          });
          delayMs = REPORT_RETRY_DELAY_MS_MIN;
        } catch (err) {
          if (this.closed) return;
          // LeaseNotFound: the lease expired under us (e.g. a long partition); grant a new one.
          if (err instanceof Error && 'code' in err && err.code === 'LeaseNotFound') this.lease = null;
          this.dirty = true;
          this.warn(`config instance report failed (retrying): ${err instanceof Error ? err.message : String(err)}`);
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, delayMs);
            this.wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
          this.wake = null;
          delayMs = Math.min(REPORT_RETRY_DELAY_MS_MAX, delayMs * 2);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async grant(): Promise<RecipeLease> {
    const lease = await this.client.lease.grant(this.leaseTtlSeconds, { keepAlive: true });
    if (this.closed) {
      await lease.revoke().catch(() => undefined);
      return lease;
    }
    this.lease = lease;
    lease.on('lost', () => {
      if (this.lease !== lease) return;
      this.lease = null;
      this.report(this.record);
    });
    return lease;
  }
}
