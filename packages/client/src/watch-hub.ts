// Server-side registrations of all watches of one client: allocates watch ids (client-chosen,
// unique for the client's life, so a push for a superseded registration is simply unknown and
// dropped), routes pushes, re-registers after link loss, and bounds every retry. A
// registration belongs to one link; pushes from any other link for the same watch are ignored.

import { isKiteError, KiteError, WATCHES_PER_CONNECTION_MAX, type Revision, type WatchCreateArgs, type WatchPush } from '@kite/protocol';
import { abortError, deadlineSignal, sleep } from './abort.js';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { LinkLostError, type Connection } from './connection.js';
import type { ConnectionPool } from './pool.js';
import { compactedError, Watch, type WatchDriver } from './watch.js';

export interface WatchHubOptions {
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  /** Consecutive failed registration attempts before the watch fails with Unavailable. */
  readonly resumeAttemptsMax: number;
  /** Deadline of one watchCreate round trip. */
  readonly requestTimeoutMs: number;
  readonly maxWatchesPerConnection?: number;
}

interface Registration {
  conn: Connection | null;
  watchId: number | null;
  /** The link the last attempt used (to log it in again after a stale-login refusal). */
  lastLink: Connection | null;
}

export class WatchHub implements WatchDriver {
  private readonly routes = new Map<number, { readonly watch: Watch; readonly conn: Connection }>();
  private readonly registrations = new Map<Watch, Registration>();
  private readonly watches = new Set<Watch>();
  private nextWatchId = 1;
  private closed = false;
  /** Aborted on close so no back-off sleep outlives the client. */
  private readonly lifetime = new AbortController();
  private readonly detach: () => void;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly options: WatchHubOptions,
  ) {
    this.detach = pool.addListener({
      onPush: (push, conn) => this.route(push, conn),
      onDisconnect: (conn) => this.linkLost(conn),
    });
  }

  /** Tracks a new watch and starts its first registration. */
  add(watch: Watch): Watch {
    if (this.closed) {
      watch.fail(new KiteError('Canceled', 'client closed'));
      return watch;
    }
    this.watches.add(watch);
    watch.start();
    return watch;
  }

  get size(): number {
    return this.watches.size;
  }

  /**
   * (Re)registers from the watch's cursor (`_startRevision` is its current nextRevision).
   * After `serverCancels` consecutive server cancels it first backs off, so a member that
   * keeps canceling is not hammered (the Watch bounds how many such resumes happen).
   */
  register(watch: Watch, _startRevision: Revision, serverCancels = 0): void {
    this.unregister(watch);
    const reg: Registration = { conn: null, watchId: null, lastLink: null };
    this.registrations.set(watch, reg);
    void this.registerLoop(watch, reg, serverCancels);
  }

  unregister(watch: Watch): void {
    const reg = this.registrations.get(watch);
    if (watch.state === 'closed') this.watches.delete(watch); // for good, not a suspend
    if (reg === undefined) return;
    this.registrations.delete(watch);
    if (reg.watchId !== null && reg.conn !== null) this.cancelOnServer(reg.conn, reg.watchId);
  }

  /**
   * Asks for a bookmark on the watch's current registration. The server may have dropped that
   * registration (a compaction or any other cancel) with its canceled push already on the wire
   * when it reads our request, and then answers "no watch N". The link keeps order, so by the
   * time that answer arrives the push has been routed and the registration is gone here too:
   * an error for a registration that is no longer current is not the caller's, and the cancel
   * itself decides what happens (resume, or the watch's terminal error).
   */
  async requestProgress(watch: Watch): Promise<void> {
    const reg = this.registrations.get(watch);
    if (reg?.conn == null || reg.watchId === null) return;
    const watchId = reg.watchId;
    try {
      await reg.conn.request('watchProgress', { watchId });
    } catch (err) {
      const stillCurrent = this.registrations.get(watch) === reg && reg.watchId === watchId;
      if (stillCurrent) throw err;
    }
  }

  close(): void {
    this.closed = true;
    this.lifetime.abort();
    for (const w of [...this.watches]) w.cancel();
    this.watches.clear();
    this.detach();
  }

  /** Each attempt starts at the cursor as it is then (pushes may have advanced it meanwhile). */
  private async registerLoop(watch: Watch, reg: Registration, serverCancels: number): Promise<void> {
    const current = (): boolean => this.registrations.get(watch) === reg && !this.closed;
    let lastError: unknown = null;
    for (let attempt = 0; attempt < this.options.resumeAttemptsMax; attempt++) {
      // The k-th consecutive server cancel starts at back-off step k-1; later attempts go on from there.
      const step = attempt + serverCancels - 1;
      if (step >= 0) {
        try {
          await sleep(backoffDelayMs(step, this.options.backoff, this.options.random), this.lifetime.signal);
        } catch {
          return; // client closed
        }
      }
      if (!current()) return;
      const startRevision = watch.nextRevision;
      const { signal, dispose } = deadlineSignal(this.options.requestTimeoutMs);
      try {
        const conn = await this.pool.acquire(signal);
        reg.lastLink = conn;
        if (!current()) return;
        const limit = this.options.maxWatchesPerConnection ?? WATCHES_PER_CONNECTION_MAX;
        if (this.countOn(conn) >= limit) {
          watch.fail(new KiteError('TooManyWatches', `too many watches on one connection (limit ${limit})`, { limit }));
          return;
        }
        const watchId = this.nextWatchId++;
        reg.conn = conn;
        reg.watchId = watchId;
        this.routes.set(watchId, { watch, conn });
        try {
          const reply = await conn.request('watchCreate', this.createArgs(watch, watchId, startRevision), signal);
          if (!current()) return; // unregister() already sent the cancel
          if (reg.watchId !== watchId || conn.state !== 'open') {
            // The link died between the reply and now (linkLost saw us still registering).
            watch.onAnchored(reply.header);
            lastError = new LinkLostError('link lost right after the watch was registered', true);
            continue;
          }
          watch.onRegistered(reply.header);
          return;
        } catch (err) {
          this.routes.delete(watchId);
          reg.conn = null;
          reg.watchId = null;
          // A timed-out create may have registered: make sure it does not linger.
          if (signal.aborted) this.cancelOnServer(conn, watchId);
          throw err;
        }
      } catch (err) {
        if (!current()) return;
        if (signal.aborted) {
          lastError = abortError(signal);
          continue;
        }
        if (err instanceof LinkLostError || isKiteError(err, 'Unavailable') || isKiteError(err, 'NotLeader')) {
          lastError = err;
          continue;
        }
        if (isKiteError(err, 'Unauthenticated') && err.details.reauthenticate === true && this.pool.hasCredentials && reg.lastLink !== null) {
          // The link's login expired or was invalidated: log in again, then register again.
          try {
            await this.pool.authenticate(reg.lastLink);
            lastError = err;
            continue;
          } catch (loginErr) {
            watch.fail(loginErr instanceof KiteError ? loginErr : err);
            return;
          }
        }
        if (isKiteError(err, 'Compacted')) {
          const compactRevision = err.details.compactRevision ?? 0;
          watch.fail(compactedError(compactRevision, startRevision));
          return;
        }
        watch.fail(err instanceof KiteError ? err : new KiteError('Internal', String(err)));
        return;
      } finally {
        dispose();
      }
    }
    const why = lastError instanceof Error ? `: ${lastError.message}` : '';
    watch.fail(new KiteError('Unavailable', `watch not re-registered after ${this.options.resumeAttemptsMax} attempts${why}`));
  }

  private createArgs(watch: Watch, watchId: number, startRevision: Revision): WatchCreateArgs {
    const s = watch.spec;
    return {
      watchId,
      key: s.key,
      ...(s.rangeEnd !== undefined ? { rangeEnd: s.rangeEnd } : {}),
      ...(startRevision > 0 ? { startRevision } : {}),
      ...(s.prevKv ? { prevKv: true } : {}),
      ...(s.noPut ? { noPut: true } : {}),
      ...(s.noDelete ? { noDelete: true } : {}),
      ...(s.progressNotify ? { progressNotify: true } : {}),
      ...(s.fragment === true ? { fragment: true } : {}),
    };
  }

  private route(push: WatchPush, conn: Connection): void {
    const r = this.routes.get(push.watchId);
    if (r === undefined || r.conn !== conn) return;
    if (push.canceled === true) {
      // The server dropped it already: nothing to cancel later.
      this.routes.delete(push.watchId);
      const reg = this.registrations.get(r.watch);
      if (reg !== undefined && reg.watchId === push.watchId) {
        reg.conn = null;
        reg.watchId = null;
      }
    }
    r.watch.onPush(push);
  }

  private linkLost(conn: Connection): void {
    const lost: Watch[] = [];
    for (const [id, r] of this.routes) {
      if (r.conn !== conn) continue;
      this.routes.delete(id);
      const reg = this.registrations.get(r.watch);
      if (reg !== undefined && reg.watchId === id) {
        reg.conn = null;
        reg.watchId = null;
      }
      lost.push(r.watch);
    }
    for (const w of lost) w.onRegistrationLost();
  }

  private countOn(conn: Connection): number {
    let n = 0;
    for (const r of this.routes.values()) if (r.conn === conn) n++;
    return n;
  }

  private cancelOnServer(conn: Connection, watchId: number): void {
    this.routes.delete(watchId);
    if (conn.state === 'open') conn.request('watchCancel', { watchId }).catch(() => undefined);
  }
}
