// Leases: the replicated part (which leases exist, their granted TTL, the last checkpointed
// remaining TTL, which keys are attached) changes only through applied commands; the
// leader-local part (expiry times) lives in memory and follows an injected monotonic clock
// (readings never leave the process: checkpoints and records hold remaining TTLs, durations).
//
// Only a primary (the Raft leader, after promote) has finite expiries; elsewhere every lease
// is "never expires" and the store never revokes on its own: the server asks
// expiredLeases(now) on the leader and proposes leaseRevoke commands.

import { assert } from './assert.js';

/** Default minimum TTL (etcd: 1.5 x election timeout, rounded up to seconds; 2 s by default). */
export const LEASE_TTL_SECONDS_MIN_DEFAULT = 2;
/** Most lease ids returned by one expiredLeases call (bounds the revokes proposed at once). */
export const EXPIRED_LEASES_MAX = 1000;
/** Most entries in one leaseCheckpoint command (etcd's maxLeaseCheckpointBatchSize). */
export const CHECKPOINTS_PER_COMMAND_MAX = 1000;

export class Lease {
  readonly id: number;
  readonly ttlSeconds: number;
  /** Last checkpointed remaining TTL (0 = none: use the full TTL). Replicated. */
  remainingTtlMs: number;
  /** Leader-local expiry; Infinity when not primary. */
  expiryMs = Number.POSITIVE_INFINITY;
  /** Attached keys (binary strings). Derived from the key index on open. */
  readonly keys = new Set<string>();

  constructor(id: number, ttlSeconds: number, remainingTtlMs: number) {
    this.id = id;
    this.ttlSeconds = ttlSeconds;
    this.remainingTtlMs = remainingTtlMs;
  }

  /** The TTL to restart from when this member becomes primary. */
  get restartTtlMs(): number {
    return this.remainingTtlMs > 0 ? this.remainingTtlMs : this.ttlSeconds * 1000;
  }
}

export class Lessor {
  private readonly leases = new Map<number, Lease>();
  private primary = false;

  get isPrimary(): boolean {
    return this.primary;
  }

  get size(): number {
    return this.leases.size;
  }

  get(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  has(id: number): boolean {
    return this.leases.has(id);
  }

  ids(): number[] {
    return [...this.leases.keys()].sort((a, b) => a - b);
  }

  all(): IterableIterator<Lease> {
    return this.leases.values();
  }

  clear(): void {
    this.leases.clear();
  }

  /** Adds a lease (apply of leaseGrant, or open/restore). */
  add(lease: Lease, nowMs: number): void {
    assert(!this.leases.has(lease.id), `lease ${lease.id} granted twice`);
    if (this.primary) lease.expiryMs = nowMs + lease.restartTtlMs;
    this.leases.set(lease.id, lease);
  }

  remove(id: number): void {
    this.leases.delete(id);
  }

  attach(id: number, key: string): void {
    const lease = this.leases.get(id);
    assert(lease !== undefined, `attach ${key} to missing lease ${id}`);
    lease.keys.add(key);
  }

  detach(id: number, key: string): void {
    this.leases.get(id)?.keys.delete(key);
  }

  /** Keepalive on the primary: restart the full TTL. Returns undefined for an unknown lease. */
  renew(id: number, nowMs: number): Lease | undefined {
    const lease = this.leases.get(id);
    if (lease === undefined) return undefined;
    // A lease already past its expiry is as good as revoked (the revoke is in flight).
    if (this.primary && lease.expiryMs <= nowMs) return undefined;
    lease.remainingTtlMs = 0;
    if (this.primary) lease.expiryMs = nowMs + lease.ttlSeconds * 1000;
    return lease;
  }

  /** Remaining seconds (rounded up), or the restart TTL when not primary. */
  remainingSeconds(lease: Lease, nowMs: number): number {
    if (!this.primary) return Math.ceil(lease.restartTtlMs / 1000);
    return Math.max(0, Math.ceil((lease.expiryMs - nowMs) / 1000));
  }

  /** Become primary: every lease restarts from its checkpointed TTL plus `extendMs`. */
  promote(extendMs: number, nowMs: number): void {
    this.primary = true;
    for (const lease of this.leases.values()) lease.expiryMs = nowMs + lease.restartTtlMs + extendMs;
  }

  demote(): void {
    this.primary = false;
    for (const lease of this.leases.values()) lease.expiryMs = Number.POSITIVE_INFINITY;
  }

  /** Ids of leases expired at `nowMs` (primary only), smallest first, at most `limit`. */
  expired(nowMs: number, limit: number): number[] {
    if (!this.primary) return [];
    const out: number[] = [];
    for (const lease of this.leases.values()) if (lease.expiryMs <= nowMs) out.push(lease.id);
    out.sort((a, b) => a - b);
    return out.slice(0, limit);
  }

  /** Remaining TTLs to checkpoint through Raft (primary only), smallest id first. */
  checkpoints(nowMs: number, limit: number): { id: number; remainingTtlMs: number }[] {
    if (!this.primary) return [];
    const out: { id: number; remainingTtlMs: number }[] = [];
    for (const id of this.ids()) {
      const lease = this.leases.get(id);
      if (lease === undefined || !Number.isFinite(lease.expiryMs)) continue;
      out.push({ id, remainingTtlMs: Math.max(1, Math.ceil(lease.expiryMs - nowMs)) });
      if (out.length >= limit) break;
    }
    return out;
  }
}
