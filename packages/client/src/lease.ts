// A granted lease with automatic keepalive. Renewals run every ttl/3; the local deadline is
// measured from when a renewal was *sent* (a conservative bound on the server's expiry).
// 'lost' fires exactly once, when the server says the lease is gone (expired or revoked
// elsewhere) or when no renewal succeeded before the local deadline; keepalive then stops.
// revoke() and the client closing stop keepalive without 'lost'.

import { KiteError, type LeaseId, type LeaseKeepAliveResult } from '@kite/protocol';
import { monotonicMs } from './clock.js';
import { Emitter } from './emitter.js';

export type LeaseLostReason = 'expired' | 'keepAliveFailed';

export interface LeaseLostEvent {
  readonly id: LeaseId;
  readonly reason: LeaseLostReason;
  readonly error?: KiteError;
}

export interface LeaseRenewedEvent {
  readonly id: LeaseId;
  readonly ttl: number;
}

export interface LeaseEvents {
  lost: LeaseLostEvent;
  renewed: LeaseRenewedEvent;
}

/** The calls a Lease needs (the client's invoker in production, a fake in tests). */
export interface LeaseOps {
  keepAlive(id: LeaseId, timeoutMs: number): Promise<LeaseKeepAliveResult>;
  revoke(id: LeaseId): Promise<void>;
}

export type LeaseState = 'alive' | 'lost' | 'revoked' | 'closed';

/** Pause between failed renewal rounds (each round is itself retried by the invoker). */
const RENEW_RETRY_DELAY_MS_MAX = 500;
/** A renewal call gets at least this long, even when the deadline is closer. */
const RENEW_TIMEOUT_MS_MIN = 50;

export class Lease extends Emitter<LeaseEvents> {
  readonly id: LeaseId;
  /** The TTL (seconds) the server granted. */
  readonly ttl: number;
  private stateValue: LeaseState = 'alive';
  private deadlineMs: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lostPromiseResolve!: (e: LeaseLostEvent) => void;
  /** Resolves when the lease is lost (never, if it is revoked or the client closes). */
  readonly lost: Promise<LeaseLostEvent>;

  constructor(
    id: LeaseId,
    ttl: number,
    private readonly ops: LeaseOps,
    private readonly onDone: (lease: Lease) => void,
    grantSentAtMs: number = monotonicMs(),
  ) {
    super();
    this.id = id;
    this.ttl = ttl;
    this.deadlineMs = grantSentAtMs + ttl * 1000;
    this.lost = new Promise((res) => {
      this.lostPromiseResolve = res;
    });
  }

  get state(): LeaseState {
    return this.stateValue;
  }

  /** Milliseconds until the local deadline (<= 0: considered expired). */
  get remainingMs(): number {
    return this.deadlineMs - monotonicMs();
  }

  /** Starts automatic renewal every ttl/3. */
  startKeepAlive(): void {
    this.schedule(this.intervalMs());
  }

  /** One renewal now (also usable without automatic keepalive). */
  async keepAliveOnce(): Promise<LeaseKeepAliveResult> {
    const sentAt = monotonicMs();
    const res = await this.ops.keepAlive(this.id, Math.max(RENEW_TIMEOUT_MS_MIN, this.remainingMs));
    if (res.ttl <= 0) throw new KiteError('LeaseNotFound', `lease ${this.id} expired`, { lease: this.id });
    if (this.stateValue === 'alive') {
      this.deadlineMs = sentAt + res.ttl * 1000;
      this.emit('renewed', { id: this.id, ttl: res.ttl });
    }
    return res;
  }

  /** Revokes the lease (attached keys are deleted); an already-gone lease counts as revoked. */
  async revoke(): Promise<void> {
    if (this.stateValue === 'alive') this.finish('revoked');
    try {
      await this.ops.revoke(this.id);
    } catch (err) {
      if (!(err instanceof KiteError && err.code === 'LeaseNotFound')) throw err;
    }
  }

  /** Stops keepalive without revoking (the lease then expires on the server after its TTL). */
  close(): void {
    if (this.stateValue === 'alive') this.finish('closed');
  }

  private intervalMs(): number {
    return Math.max(1, (this.ttl * 1000) / 3);
  }

  private schedule(delayMs: number): void {
    if (this.stateValue !== 'alive') return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.renew(), delayMs);
  }

  private async renew(): Promise<void> {
    if (this.stateValue !== 'alive') return;
    try {
      await this.keepAliveOnce();
      this.schedule(this.intervalMs());
    } catch (err) {
      if (this.stateValue !== 'alive') return;
      const kerr = err instanceof KiteError ? err : new KiteError('Internal', String(err));
      if (kerr.code === 'LeaseNotFound') {
        this.markLost('expired', kerr);
        return;
      }
      const remaining = this.remainingMs;
      if (remaining <= 0) {
        this.markLost('keepAliveFailed', kerr);
        return;
      }
      this.schedule(Math.min(RENEW_RETRY_DELAY_MS_MAX, this.intervalMs(), remaining));
    }
  }

  private markLost(reason: LeaseLostReason, error: KiteError): void {
    this.finish('lost');
    const ev: LeaseLostEvent = { id: this.id, reason, error };
    this.lostPromiseResolve(ev);
    this.emit('lost', ev);
  }

  private finish(state: Exclude<LeaseState, 'alive'>): void {
    this.stateValue = state;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.onDone(this);
  }
}
