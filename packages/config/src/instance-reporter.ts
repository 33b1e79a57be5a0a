// Keeps the instance records (`<app>/instances/<id>`) of every SDK instance sharing one client
// current, with ONE lease and coalesced writes per client (and lease TTL):
// - one lease, kept alive by the client, carries the records of all the client's instances (a
//   process running 250 instances sends one keepalive stream, not 250); after the lease is lost
//   a new one is granted and every record is written again under it;
// - reports coalesce: only each instance's newest record is written, the reports made in one
//   event-loop turn go out together, and at most one report txn per client is in flight, with at
//   most REPORT_BATCH_PUTS_MAX puts and about REPORT_BATCH_BYTES_MAX bytes. So the instances of a
//   client cost the cluster one bounded write at a time however many there are, and an admin's
//   txn never queues behind a storm of per-instance writes (back-pressure: reports made while a
//   write is in flight wait for it and merge);
// - a failed write is retried with bounded back-off; a report never blocks or fails the
//   applying of config;
// - closing an instance deletes its record (after any in-flight write that may carry it); the
//   last instance of a client revokes the shared lease.
// Records stay per instance: the model (one record per instance, attached to a lease) is kept.
import type { RecipeClient, RecipeLease } from '@kite/client';
import { TXN_OPS_MAX, type TxnRequestOp } from '@kite/protocol';
import { encodeRecord, type InstanceRecord } from './model.js';

export const REPORT_RETRY_DELAY_MS_MIN = 100;
export const REPORT_RETRY_DELAY_MS_MAX = 2_000;
/** Puts per report txn (the store's txn op limit). */
export const REPORT_BATCH_PUTS_MAX = TXN_OPS_MAX;
/** Encoded record bytes per report txn (well under the request limit); one record always goes. */
export const REPORT_BATCH_BYTES_MAX = 256 * 1024;

const hubs = new WeakMap<RecipeClient, Map<number, ReportHub>>();

/** The reporter shared by all instances of `client` with this lease TTL. */
export function reportHub(client: RecipeClient, leaseTtlSeconds: number): ReportHub {
  let perTtl = hubs.get(client);
  if (perTtl === undefined) hubs.set(client, (perTtl = new Map()));
  let hub = perTtl.get(leaseTtlSeconds);
  if (hub === undefined) perTtl.set(leaseTtlSeconds, (hub = new ReportHub(client, leaseTtlSeconds)));
  return hub;
}

type Warn = (message: string) => void;
const keyText = (key: Uint8Array): string => new TextDecoder().decode(key);

interface Registered {
  readonly key: Uint8Array;
  readonly warn: Warn;
  record: InstanceRecord;
}

export class ReportHub {
  private lease: RecipeLease | null = null;
  /** By instance key as text: instances of several apps may share a client (and an id). */
  private readonly registered = new Map<string, Registered>();
  /** Instance keys (as text) whose newest record is not written yet (insertion order = write order). */
  private readonly dirty = new Set<string>();
  private pumping = false;
  private inFlight: Promise<unknown> = Promise.resolve();
  private wake: (() => void) | null = null;

  constructor(
    private readonly client: RecipeClient,
    private readonly leaseTtlSeconds: number,
  ) {}

  /** Writes `record` under `key` (an instance key), now or as soon as the cluster answers; `warn` hears of failed writes. */
  report(key: Uint8Array, record: InstanceRecord, warn: Warn): void {
    const id = keyText(key);
    const r = this.registered.get(id);
    if (r === undefined) this.registered.set(id, { key, warn, record });
    else r.record = record;
    this.dirty.delete(id);
    this.dirty.add(id);
    if (!this.pumping) {
      this.pumping = true;
      // Start on the next turn, so every report made in this one joins the first write.
      setTimeout(() => void this.pump(), 0);
    } else {
      // A report follows an apply, i.e. a member just answered: cut a back-off short.
      this.wake?.();
    }
  }

  /** Stops reporting the record under `key` and deletes it; the last instance revokes the shared lease. */
  async remove(key: Uint8Array): Promise<void> {
    const id = keyText(key);
    const r = this.registered.get(id);
    if (r === undefined) return;
    this.registered.delete(id);
    this.dirty.delete(id);
    // A write in flight may carry this record: delete after it, or the put would recreate it.
    await this.inFlight.catch(() => undefined);
    if (this.registered.size === 0) {
      const l = this.lease;
      this.lease = null;
      if (l !== null) {
        await l.revoke().catch(() => undefined);
        return;
      }
    }
    await this.client.delete(r.key).catch(() => undefined);
  }

  /** The next batch: dirty records in report order, bounded by count and bytes. */
  private batch(leaseId: number): { ops: TxnRequestOp[]; ids: string[] } {
    const ops: TxnRequestOp[] = [];
    const ids: string[] = [];
    let bytes = 0;
    for (const id of this.dirty) {
      const r = this.registered.get(id);
      if (r === undefined) continue;
      const value = encodeRecord(r.record);
      if (ops.length >= REPORT_BATCH_PUTS_MAX || (ops.length > 0 && bytes + value.length > REPORT_BATCH_BYTES_MAX)) break;
      bytes += value.length;
      ops.push({ type: 'put', key: r.key, value, lease: leaseId });
      ids.push(id);
    }
    return { ops, ids };
  }

  private async pump(): Promise<void> {
    let delayMs = REPORT_RETRY_DELAY_MS_MIN;
    try {
      while (this.dirty.size > 0 && this.registered.size > 0) {
        try {
          const lease = this.lease ?? (await this.grant());
          if (this.registered.size === 0) return;
          const { ops, ids } = this.batch(lease.id);
          // Taken out before the write: a report made meanwhile re-adds its id for the next one.
          for (const id of ids) this.dirty.delete(id);
          const write = this.client.txn({ compare: [], success: ops, failure: [] });
          this.inFlight = write;
          try {
            await write;
          } catch (err) {
            for (const id of ids) if (this.registered.has(id) && !this.dirty.has(id)) this.dirty.add(id);
            throw err;
          }
          delayMs = REPORT_RETRY_DELAY_MS_MIN;
        } catch (err) {
          // LeaseNotFound: the lease expired under us (e.g. a long partition); grant a new one
          // and write every record again under it.
          if (err instanceof Error && 'code' in err && err.code === 'LeaseNotFound') this.lost(this.lease);
          const message = `config instance report failed (retrying): ${err instanceof Error ? err.message : String(err)}`;
          for (const warn of new Set([...this.registered.values()].map((r) => r.warn))) warn(message);
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

  /** The lease is gone with every record on it: all of them must be written again. */
  private lost(lease: RecipeLease | null): void {
    if (lease === null || this.lease !== lease) return;
    this.lease = null;
    for (const id of this.registered.keys()) this.dirty.add(id);
  }

  private async grant(): Promise<RecipeLease> {
    const lease = await this.client.lease.grant(this.leaseTtlSeconds, { keepAlive: true });
    if (this.registered.size === 0) {
      await lease.revoke().catch(() => undefined);
      return lease;
    }
    this.lease = lease;
    lease.on('lost', () => {
      if (this.lease !== lease) return;
      this.lost(lease);
      if (!this.pumping) {
        this.pumping = true;
        void this.pump();
      }
    });
    return lease;
  }
}
