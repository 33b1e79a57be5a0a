// The harness's network: one TCP listener per directed member pair (from → to) that forwards
// to `to`'s real peer port. Member `from` is configured to reach `to` through that listener,
// so every connection is labelled with the pair it carries and the policy table decides, per
// frame, what each direction lets through.
//
// The peer transport opens ONE connection per pair (the smaller member id dials), so a label
// says who dialed. A member that learned another member's view of the URLs (it installed the
// leader's snapshot, whose member registry holds the leader's proxy URLs) may dial through a
// listener meant for someone else; the dialer's hello names it, so once member ids are known
// the proxy relabels the connection from the hello instead of trusting the listener.
//
// Workload clients may be routed the same way (from CLIENT to a member's client port), so the
// client-link nemeses act on client traffic frame by frame as well.
//
// A cut pair (both directions blocked) has its connections closed and new ones refused; a
// one-way block drops data frames in that direction only (see direction-pump.ts).
//
// With TLS (jepsen-lite --tls) the proxy terminates and re-originates it, so every fault stays
// frame-exact (a TCP-level pass-through could only cut, never drop one direction's messages,
// and could not read the hello). Toward the dialer it presents the target member's own
// certificate and requires the dialer's (the members' mutual TLS, unchanged); the dialer's
// certificate names it, so the connection is labelled from it; toward the target it presents
// that same member's certificate, so the target's identity checks see the real dialer. The
// proxy holds every member's key: it is the harness's network, not an attacker.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { Rng } from '../util/rng.js';
import { DirectionPump, type PumpStats } from './direction-pump.js';
import { PolicyTable, type DirectionPolicy } from './policy.js';
import { unmaskedPayload, type WsFrame } from './ws-frames.js';

/** Connections the proxy keeps at once; more are refused (a member leaking links). */
export const PROXY_CONNECTIONS_MAX = 1024;
/** How long a new connection may wait for its upstream before it is cut. */
const UPSTREAM_CONNECT_MS_MAX = 5_000;
/** Unknown dialer: a route added for a member that joins later. */
export const ANY_MEMBER = '?';
/** The dialer of client routes: every workload client (policies `client>n1`, `n1>client`). */
export const CLIENT = 'client';

/** The members' certificates and the CA, PEM. */
export interface ProxyTls {
  readonly ca: Buffer;
  readonly members: ReadonlyMap<string, { readonly cert: Buffer; readonly key: Buffer }>;
}

interface Route {
  readonly from: string;
  readonly to: string;
  readonly targetPort: number;
  readonly server: Server;
  port: number;
}

export interface LinkInfo {
  readonly from: string;
  readonly to: string;
  readonly up: PumpStats;
  readonly down: PumpStats;
}

class ProxiedConnection {
  from: string;
  readonly to: string;
  readonly up: DirectionPump;
  readonly down: DirectionPump;
  private closed = false;

  constructor(
    private readonly proxy: LinkProxy,
    readonly client: Socket,
    readonly upstream: Socket,
    route: Route,
    rng: Rng,
  ) {
    this.from = route.from;
    this.to = route.to;
    this.up = new DirectionPump(client, upstream, rng, {
      policy: () => proxy.policies.get(this.from, this.to),
      // A client's first frame is a request, not a member's hello: never relabel from it.
      ...(route.from === CLIENT ? {} : { onFirstDataFrame: (f: WsFrame) => this.identifyDialer(f) }),
      onFatal: (why) => this.destroy(why),
    });
    this.down = new DirectionPump(upstream, client, rng, {
      policy: () => proxy.policies.get(this.to, this.from),
      onResponseHead: (upgraded) => {
        if (upgraded) this.up.startFrames();
        else this.up.mode = 'raw';
      },
      onFatal: (why) => this.destroy(why),
    });
    for (const s of [client, upstream]) {
      s.on('error', () => this.destroy('socket error'));
      s.on('close', () => this.destroy('socket closed'));
      s.setNoDelay(true);
    }
  }

  destroy(_why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.up.close();
    this.down.close();
    this.client.destroy();
    this.upstream.destroy();
    this.proxy.forget(this);
  }

  /** The hello is the dialer's first data frame; it carries its member id as a string. */
  private identifyDialer(f: WsFrame): void {
    const ids = this.proxy.memberIds;
    if (ids.size === 0) return;
    const text = unmaskedPayload(f).toString('latin1');
    for (const [id, name] of ids) {
      if (name !== this.to && text.includes(id)) {
        if (name !== this.from) this.from = name;
        break;
      }
    }
    if (this.proxy.policies.isCut(this.from, this.to)) this.destroy('pair is cut');
  }
}

export class LinkProxy {
  readonly policies = new PolicyTable();
  /** member id → member name, learned after start (for hello-based relabelling). */
  memberIds: ReadonlyMap<string, string> = new Map();
  private readonly routes: Route[] = [];
  private readonly connections = new Set<ProxiedConnection>();
  private tls: ProxyTls | null = null;
  private readonly contexts = new Map<string, SecureContext>();

  constructor(
    private readonly rng: Rng,
    private readonly host = '127.0.0.1',
  ) {}

  /** Terminate and re-originate TLS on every route added after this (see the header). */
  useTls(tls: ProxyTls): void {
    this.tls = tls;
  }

  /** Listens for from → to traffic; returns the port `from` must be given for `to`. */
  async addRoute(from: string, to: string, targetPort: number): Promise<number> {
    const server = createServer({ pauseOnConnect: true }, (socket) => this.onConnection(route, socket));
    const route: Route = { from, to, targetPort, server, port: 0 };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('assertion: TCP listener has no port');
    route.port = addr.port;
    this.routes.push(route);
    return route.port;
  }

  routePort(from: string, to: string): number | undefined {
    return this.routes.find((r) => r.from === from && r.to === to)?.port;
  }

  update(from: string, to: string, change: Partial<DirectionPolicy>): void {
    this.policies.update(from, to, change);
    if (change.blocked === true) this.enforceCuts();
  }

  /** Blocks exactly these directed pairs (replacing any previous blocks). */
  block(pairs: Iterable<readonly [string, string]>): void {
    this.policies.unblockAll();
    for (const [a, b] of pairs) this.policies.update(a, b, { blocked: true });
    this.enforceCuts();
  }

  /** Everything open again: no blocks, no delays, no drops. */
  heal(): void {
    this.policies.clear();
  }

  links(): LinkInfo[] {
    return [...this.connections].map((c) => ({ from: c.from, to: c.to, up: { ...c.up.stats }, down: { ...c.down.stats } }));
  }

  async close(): Promise<void> {
    for (const c of [...this.connections]) c.destroy('proxy closing');
    await Promise.all(this.routes.map((r) => new Promise<void>((resolve) => r.server.close(() => resolve()))));
    this.routes.length = 0;
  }

  forget(c: ProxiedConnection): void {
    this.connections.delete(c);
  }

  private enforceCuts(): void {
    for (const c of [...this.connections]) if (this.policies.isCut(c.from, c.to)) c.destroy('pair cut');
  }

  private onConnection(route: Route, client: Socket): void {
    if (this.connections.size >= PROXY_CONNECTIONS_MAX || this.policies.isCut(route.from, route.to)) {
      client.destroy();
      return;
    }
    if (this.tls !== null) return this.onTlsConnection(route, client, this.tls);
    const upstream = connect({ host: this.host, port: route.targetPort });
    upstream.pause();
    const conn = new ProxiedConnection(this, client, upstream, route, this.rng);
    this.connections.add(conn);
    const timer = setTimeout(() => conn.destroy('upstream connect timeout'), UPSTREAM_CONNECT_MS_MAX);
    upstream.once('connect', () => {
      clearTimeout(timer);
      client.resume();
      upstream.resume();
    });
    upstream.once('close', () => clearTimeout(timer));
  }

  private contextFor(name: string, tls: ProxyTls): SecureContext | null {
    const own = tls.members.get(name);
    if (own === undefined) return null;
    let ctx = this.contexts.get(name);
    if (ctx === undefined) this.contexts.set(name, (ctx = createSecureContext({ cert: own.cert, key: own.key, ca: tls.ca })));
    return ctx;
  }

  /** TLS as `route.to` toward the dialer; once it showed its certificate, TLS as it upstream. */
  private onTlsConnection(route: Route, client: Socket, tls: ProxyTls): void {
    const ctx = this.contextFor(route.to, tls);
    if (ctx === null) {
      client.destroy();
      return;
    }
    const secure = new TLSSocket(client, { isServer: true, secureContext: ctx, requestCert: true, rejectUnauthorized: true });
    const timer = setTimeout(() => secure.destroy(), UPSTREAM_CONNECT_MS_MAX);
    secure.on('error', () => secure.destroy());
    secure.once('close', () => clearTimeout(timer));
    client.resume();
    secure.once('secure', () => {
      secure.pause();
      const cn = secure.getPeerCertificate().subject?.CN;
      const dialer = typeof cn === 'string' && tls.members.has(cn) ? cn : route.from;
      const own = tls.members.get(dialer);
      if (own === undefined || this.policies.isCut(dialer, route.to) || this.connections.size >= PROXY_CONNECTIONS_MAX) {
        secure.destroy();
        return;
      }
      // The proxy trusts its own harness's certificates; the member behind it checks identity.
      const upstream = tlsConnect({ host: this.host, port: route.targetPort, cert: own.cert, key: own.key, ca: tls.ca, checkServerIdentity: () => undefined });
      upstream.pause();
      const conn = new ProxiedConnection(this, secure, upstream, { ...route, from: dialer }, this.rng);
      this.connections.add(conn);
      upstream.once('secureConnect', () => {
        clearTimeout(timer);
        secure.resume();
        upstream.resume();
      });
    });
  }
}
