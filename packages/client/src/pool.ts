// Which member the client talks to. One current link at a time (watches, leases and requests
// share it); on failure, or when the member says it has no leader, the next endpoint is tried
// round-robin. After connecting, the pool asks the member for the leader and, when it can
// reach the leader's client URL, moves there: followers forward writes, so this only saves a
// hop, and any member remains usable.
// A member reporting a different cluster id than the first one seen is refused.

import { isKiteError, KiteError, type MemberId, type ResponseHeader, type WatchPush } from '@kite/protocol';
import { abortError, deadlineSignal } from './abort.js';
import { monotonicMs } from './clock.js';
import { Connection, LinkLostError, type ConnectionOptions } from './connection.js';
import { normalizeEndpoint } from './endpoints.js';

/** Bound on the member-id -> URL memory (clusters are small; this guards against churn). */
const MEMBER_URLS_MAX = 64;

export interface PoolOptions {
  readonly endpoints: readonly string[];
  readonly connection: Omit<ConnectionOptions, 'url'>;
  /** Move the link to the leader when one is known and reachable. */
  readonly preferLeader: boolean;
  /** A retired link is closed after its last reply, or after this long at most. */
  readonly drainTimeoutMs: number;
  /** At most one leader check per this interval (they are triggered by term changes). */
  readonly leaderCheckIntervalMs: number;
  /** Log in on every link before using it (auth enabled on the cluster). */
  readonly auth?: ClientAuth;
}

/** A user name and password the client logs in with on every link. */
export interface ClientAuth {
  readonly user: string;
  readonly password: string;
}

export interface PoolListener {
  onConnect?(conn: Connection): void;
  onDisconnect?(conn: Connection, reason: string): void;
  onPush?(push: WatchPush, conn: Connection): void;
}

export class ConnectionPool {
  private readonly endpoints: readonly string[];
  private current: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private endpointCursor = 0;
  private clusterId: string | null = null;
  private lastTerm = 0;
  private lastLeaderCheckMs = Number.NEGATIVE_INFINITY;
  private leaderCheckRunning = false;
  private closed = false;
  private readonly listeners = new Set<PoolListener>();
  private readonly retired = new Set<Connection>();
  /** Where a link met each member (learned from reply headers); bounded. */
  private readonly memberUrls = new Map<MemberId, string>();
  /** Links announced with onConnect: only these are announced again with onDisconnect. */
  private readonly announced = new Set<Connection>();

  constructor(private readonly options: PoolOptions) {
    if (options.endpoints.length === 0) throw new KiteError('InvalidArgument', 'no endpoints given');
    this.endpoints = [...new Set(options.endpoints.map(normalizeEndpoint))];
  }

  addListener(l: PoolListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The open link, if there is one right now (no connecting). */
  get currentConnection(): Connection | null {
    return this.current?.state === 'open' ? this.current : null;
  }

  get knownClusterId(): string | null {
    return this.clusterId;
  }

  /** An open link, connecting if needed (one round over the endpoints). */
  async acquire(signal?: AbortSignal): Promise<Connection> {
    if (this.closed) throw new KiteError('Canceled', 'client closed');
    if (this.current?.state === 'open') return this.current;
    if (this.connecting === null) {
      this.connecting = this.connectRound().finally(() => {
        this.connecting = null;
      });
    }
    return raceSignal(this.connecting, signal);
  }

  /** Told by the invoker when a member says it is not the leader (with a hint, if any). */
  noteNotLeader(conn: Connection): void {
    if (conn === this.current) this.scheduleLeaderCheck(true);
  }

  /**
   * Told by the invoker when the member answered that it has no leader (a minority side of a
   * partition): the link is retired and the next call connects to the next endpoint, so calls
   * do not keep asking a member that cannot serve them until their deadline.
   */
  noteNoLeader(conn: Connection): void {
    if (conn !== this.current || this.endpoints.length < 2) return;
    this.current = null;
    // A leader URL learned from a member list may not be an endpoint (-1): start from the first.
    this.endpointCursor = (this.endpoints.indexOf(conn.url) + 1) % this.endpoints.length;
    this.retire(conn);
  }

  close(): void {
    this.closed = true;
    this.current?.close('client closed');
    for (const c of this.retired) c.close('client closed');
    this.retired.clear();
  }

  private async connectRound(): Promise<Connection> {
    let lastError: unknown = null;
    for (let i = 0; i < this.endpoints.length; i++) {
      const url = this.endpoints[(this.endpointCursor + i) % this.endpoints.length] as string;
      try {
        const conn = await this.open(url);
        this.endpointCursor = (this.endpointCursor + i) % this.endpoints.length;
        const settled = this.options.preferLeader ? await this.moveToLeader(conn) : conn;
        if (this.closed) {
          settled.close('client closed');
          throw new KiteError('Canceled', 'client closed');
        }
        this.current = settled;
        this.announce(settled);
        return settled;
      } catch (err) {
        // A refused login is the same answer from every member: say so instead of trying on.
        if (isKiteError(err, 'Canceled') || isKiteError(err, 'Unauthenticated')) throw err;
        lastError = err;
      }
    }
    // Next round starts one further so a dead first endpoint does not always go first.
    this.endpointCursor = (this.endpointCursor + 1) % this.endpoints.length;
    const why = lastError instanceof Error ? lastError.message : 'unknown';
    throw new LinkLostError(`no endpoint reachable (last: ${why})`, false);
  }

  /** Opens a link and checks the cluster id with a status call. */
  private async open(url: string): Promise<Connection> {
    const conn = new Connection({ ...this.options.connection, url }, {
      onPush: (push, c) => {
        for (const l of this.listeners) l.onPush?.(push, c);
      },
      onHeader: (header, c) => this.observeHeader(header, c),
      onClose: (reason, c) => this.onLinkClosed(c, reason),
    });
    await conn.opened;
    // A member that accepts the socket but never answers must not stall the round.
    const { signal, dispose } = deadlineSignal(this.options.connection.handshakeTimeoutMs);
    try {
      await this.authenticate(conn, signal);
      await conn.request('status', {}, signal);
    } catch (err) {
      conn.close('status check failed');
      throw err;
    } finally {
      dispose();
    }
    if (conn.state !== 'open') throw new LinkLostError(`link to ${url} closed during the status check`, false);
    return conn;
  }

  /**
   * Logs `conn` in (when the client has credentials). Tokens are per link: a simple token is
   * valid only on the member that issued it, so every link logs in itself.
   */
  async authenticate(conn: Connection, signal?: AbortSignal): Promise<void> {
    const auth = this.options.auth;
    if (auth === undefined) return;
    await conn.request('authenticate', { name: auth.user, password: auth.password }, signal);
  }

  get hasCredentials(): boolean {
    return this.options.auth !== undefined;
  }

  /** Returns the leader's link when reachable (closing `conn`), else `conn`. */
  private async moveToLeader(conn: Connection): Promise<Connection> {
    const leaderConn = await this.findLeader(conn).catch(() => null);
    if (leaderConn === null) return conn;
    conn.close('moved to the leader');
    return leaderConn;
  }

  /**
   * Opens a link to the leader as `conn`'s member knows it; null if `conn` is the leader, the
   * leader is unknown or unreachable. Candidate URLs: the leader's advertised client URL, else
   * a URL where a link already met that member, else every other endpoint (probed in order).
   */
  private async findLeader(conn: Connection): Promise<Connection | null> {
    const { signal, dispose } = deadlineSignal(this.options.connection.handshakeTimeoutMs);
    let leader: MemberId | null;
    const candidates: string[] = [];
    try {
      const status = await conn.request('status', {}, signal);
      leader = status.leader;
      if (leader === null || leader === status.header.memberId) return null;
      const list = await conn.request('memberList', { serializable: true }, signal);
      const advertised = list.members.find((m) => m.id === leader)?.clientUrls[0];
      if (advertised !== undefined) candidates.push(normalizeEndpoint(advertised));
    } finally {
      dispose();
    }
    const known = this.memberUrls.get(leader);
    if (candidates.length === 0 && known !== undefined) candidates.push(known);
    if (candidates.length === 0) candidates.push(...this.endpoints);
    for (const url of candidates) {
      if (url === conn.url || this.closed) continue;
      let probe: Connection;
      try {
        probe = await this.open(url);
      } catch {
        continue;
      }
      if (probe.memberId === leader) return probe;
      probe.close('not the leader');
    }
    return null;
  }

  private observeHeader(header: ResponseHeader, conn: Connection): void {
    if (this.clusterId === null) this.clusterId = header.clusterId;
    else if (header.clusterId !== this.clusterId) {
      conn.close(`member ${header.memberId} belongs to cluster ${header.clusterId}, not ${this.clusterId}`);
      return;
    }
    conn.memberId = header.memberId;
    if (this.memberUrls.size < MEMBER_URLS_MAX || this.memberUrls.has(header.memberId)) {
      this.memberUrls.set(header.memberId, conn.url);
    }
    if (header.raftTerm > this.lastTerm) {
      const first = this.lastTerm === 0;
      this.lastTerm = header.raftTerm;
      // A new term may mean a new leader: look again (rate-limited), except on first sight.
      if (!first && conn === this.current) this.scheduleLeaderCheck(false);
    }
  }

  private scheduleLeaderCheck(force: boolean): void {
    if (!this.options.preferLeader || this.leaderCheckRunning || this.closed) return;
    const now = monotonicMs();
    if (!force && now - this.lastLeaderCheckMs < this.options.leaderCheckIntervalMs) return;
    this.lastLeaderCheckMs = now;
    this.leaderCheckRunning = true;
    void this.switchToLeader().finally(() => {
      this.leaderCheckRunning = false;
    });
  }

  private async switchToLeader(): Promise<void> {
    const old = this.current;
    if (old === null || old.state !== 'open') return;
    const next = await this.findLeader(old).catch(() => null);
    if (next === null) return;
    if (this.closed || this.current !== old) {
      next.close('superseded');
      return;
    }
    this.current = next;
    this.announce(next);
    this.retire(old);
  }

  /** Lets in-flight requests on `old` finish (bounded), then closes it; its watches resume. */
  private retire(old: Connection): void {
    this.retired.add(old);
    const timer = setTimeout(() => old.close('retired'), this.options.drainTimeoutMs);
    const poll = (): void => {
      if (old.state === 'closed') {
        clearTimeout(timer);
        return;
      }
      if (old.inflight === 0) {
        clearTimeout(timer);
        old.close('retired');
        return;
      }
      setTimeout(poll, Math.min(50, this.options.drainTimeoutMs));
    };
    poll();
  }

  private announce(conn: Connection): void {
    if (conn.state !== 'open') return; // closed meanwhile: onLinkClosed already ran
    this.announced.add(conn);
    for (const l of this.listeners) l.onConnect?.(conn);
  }

  private onLinkClosed(conn: Connection, reason: string): void {
    this.retired.delete(conn);
    if (this.current === conn) {
      this.current = null;
      // Start the next round after the member that just failed.
      const i = this.endpoints.indexOf(conn.url);
      if (i >= 0) this.endpointCursor = (i + 1) % this.endpoints.length;
    }
    if (!this.announced.delete(conn)) return;
    for (const l of this.listeners) l.onDisconnect?.(conn, reason);
  }
}

/** Waits for `p` unless `signal` aborts first (the shared promise keeps running). */
export function raceSignal<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
