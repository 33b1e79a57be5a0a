// `client.lease`: grant (returning a Lease with automatic keepalive), revoke, timeToLive, list.
// Tracks the live kept-alive leases so the client can stop their keepalives on close.

import { KiteError, type LeaseId, type LeaseLeasesResult, type LeaseTimeToLiveResult, type ResponseHeader } from '@kite/protocol';
import { monotonicMs } from './clock.js';
import type { CallOptions } from './invoker.js';
import { Lease } from './lease.js';
import { strip, type Requester } from './requester.js';

export interface GrantOptions extends CallOptions {
  /** Renew automatically every ttl/3 (default true). */
  readonly keepAlive?: boolean;
  /** Ask for this id (0/absent: the server picks). */
  readonly id?: LeaseId;
}

export class LeaseApi {
  constructor(
    private readonly client: Requester,
    private readonly live: Set<Lease>,
  ) {}

  /** Grants a lease of `ttlSeconds`, renewed automatically unless keepAlive is false. */
  async grant(ttlSeconds: number, opts: GrantOptions = {}): Promise<Lease> {
    const sentAt = monotonicMs();
    const r = await this.client.request('leaseGrant', opts.id !== undefined ? { ttl: ttlSeconds, leaseId: opts.id } : { ttl: ttlSeconds }, opts);
    const lease = new Lease(
      r.leaseId,
      r.ttl,
      {
        keepAlive: async (leaseId, timeoutMs) => this.client.request('leaseKeepAlive', { leaseId }, { timeoutMs }),
        revoke: async (leaseId) => {
          await this.client.request('leaseRevoke', { leaseId });
        },
      },
      (l) => this.live.delete(l),
      sentAt,
    );
    if (this.client.isClosed) {
      lease.close();
      return lease;
    }
    this.live.add(lease);
    if (opts.keepAlive ?? true) lease.startKeepAlive();
    return lease;
  }

  /**
   * Revokes lease `id`. Revoking is idempotent in effect: LeaseNotFound on a retry that follows
   * a lost reply means the earlier attempt revoked it, so it counts as success (`header` is then
   * null: no reply carried one). LeaseNotFound on a first attempt is an error.
   */
  async revoke(id: LeaseId, opts: CallOptions = {}): Promise<{ header: ResponseHeader | null }> {
    for (const l of this.live) if (l.id === id) l.close();
    try {
      const r = await this.client.request('leaseRevoke', { leaseId: id }, opts);
      return { header: r.header };
    } catch (err) {
      if (err instanceof KiteError && err.code === 'LeaseNotFound' && err.details.afterUnknownAttempt === true) return { header: null };
      throw err;
    }
  }

  async timeToLive(id: LeaseId, opts: CallOptions & { keys?: boolean } = {}): Promise<LeaseTimeToLiveResult & { header: ResponseHeader }> {
    return strip(await this.client.request('leaseTimeToLive', opts.keys === true ? { leaseId: id, keys: true } : { leaseId: id }, opts));
  }

  async list(opts: CallOptions = {}): Promise<LeaseLeasesResult & { header: ResponseHeader }> {
    return strip(await this.client.request('leaseLeases', {}, opts));
  }
}

