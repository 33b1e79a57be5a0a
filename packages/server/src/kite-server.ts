// One Kite member's lifecycle: opens the data directory (raft log, store, staged snapshots),
// bootstraps a new or joining member or restarts one, starts the peer and client listeners,
// then compares its store with its peers' (initial corruption check, beside serving; ops are
// served by OpServer), keeps housekeeping (space quota on every member, published attributes,
// and on the leader: auto-compaction and the periodic corruption check), and stops
// gracefully: stop accepting, let the loop finish its Ready, close the stores.
//
// Invariants: the data directory's identity is checked before anything is served; a start
// that fails half-way closes what it opened.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isCorruptError } from '@kite/kvstore';
import { KiteError, type Member, type Request } from '@kite/protocol';
import type { HardState, Snapshot } from '@kite/raft';
import { raftFrames } from './raft-frames.js';
import { ClientServer } from './client-server.js';
import type { ServerConfig } from './config.js';
import { initializeDataDir, newClusterState } from './new-cluster.js';
import { asKvOpenError, checkKvPresent, checkLevelDbOpen, EXIT_DATA_DIR, kvDbDirs, refuseIfMarkedCorrupt } from './data-dir-check.js';
import { dirSizeBytes } from './dir-size.js';
import { getJson } from './get-json.js';
import { diskFullPath, EXIT_DISK_FULL } from './disk-full.js';
import { AutoCompactor, plannerFor } from './auto-compactor.js';
import { monotonicMs } from './clock.js';
import { activeMutant, mutantTickClock } from './mutants.js';
import { CorruptChecker, HashKvDoor, initialCorruptCheck, sharedHashes, type HashSource } from './corrupt-check.js';
import { BOOTSTRAP_INDEX, Host } from './host.js';
import type { KvPort } from './kv-port.js';
import type { Logger } from './logger.js';
import { MemberRegistry } from './member-registry.js';
import { ServerMetrics } from './metrics.js';
import { AUDIT_APPEND_OP, KITE_VERSION, OpServer, PUBLISH_OP } from './op-server.js';
import { AuditQueue } from './audit/audit-queue.js';
import { PeerTransport } from './peer-transport.js';
import { DataDirError, RaftLogStore, type LoadedRaftState, type StoreIdentity } from './raft-log-store.js';
import { SnapshotFiles } from './snapshot-files.js';
import { receiveSnapshotChunk } from './snapshot-receive.js';
import { TlsFiles } from './tls-files.js';
import { EtcdDoor } from './etcd/etcd-door.js';
import { AuthService } from './auth/auth-service.js';
import { Authorizer } from './auth/authorize.js';
import { INTERNAL_CALLER } from './auth/caller.js';
import { LoginThrottle } from './auth/throttle.js';
import { tokenProvider } from './auth/token-provider.js';

export { KITE_VERSION };

/** Opens the state machine in `dir` (the kvstore adapter; injected to keep this file small). */
export type OpenKv = (dir: string, logger: Logger, config: ServerConfig) => Promise<KvPort>;

/** How often the member re-checks its published attributes and the space quota. */
const HOUSEKEEPING_INTERVAL_MS = 1_000;

export class KiteServer {
  readonly metrics = new ServerMetrics();
  private host!: Host;
  private transport!: PeerTransport;
  private clientServer!: ClientServer;
  /** The etcd v3 gRPC door; null when --grpc-listen none. */
  private etcdDoor: EtcdDoor | null = null;
  private kv!: KvPort;
  private logStore!: RaftLogStore;
  private snapFiles!: SnapshotFiles;
  private ops!: OpServer;
  private auditQueue: AuditQueue | undefined;
  private selfId = '';
  private clusterId = '';
  private noSpace = false;
  private dbSizeBytes = 0;
  /** Bytes of writes admitted since the last size measurement (the quota's estimate). */
  private chargedBytes = 0;
  private housekeeping: NodeJS.Timeout | null = null;
  private corruptChecker: CorruptChecker | null = null;
  private hashes: HashSource | null = null;
  private autoCompactor: AutoCompactor | null = null;
  private peerTls: TlsFiles | null = null;
  /** This start's publish of the member's attributes was proposed (see publishAttributes). */
  private attributesPublished = false;
  /** A publish is in flight (the early loop and housekeeping must not both propose one). */
  private publishing = false;
  private stopped: Promise<void> | null = null;
  private readonly log: Logger;
  /** Resolves when the member has stopped (signal, removal or fatal error). */
  readonly done: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    private readonly config: ServerConfig,
    logger: Logger,
    private readonly openKv: OpenKv,
  ) {
    this.log = logger;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get memberId(): string {
    return this.selfId;
  }

  get cluster(): string {
    return this.clusterId;
  }

  // ---- start

  async start(): Promise<void> {
    const cfg = this.config;
    await mkdir(cfg.dataDir, { recursive: true });
    refuseIfMarkedCorrupt(cfg.dataDir);
    const mutant = activeMutant();
    if (mutant !== null) this.log.error({ mutant }, 'DELIBERATELY BROKEN BUILD: a mutant is enabled (KITE_MUTANT); for testing the test harness only');
    this.logStore = await RaftLogStore.open(cfg.dataDir, { warn: (message) => this.log.warn(message), ...(mutant === 'trust-damaged-wal' ? { mutantIgnoreSyncedHint: true } : {}) });
    let loaded = await this.logStore.load();
    let registry: MemberRegistry;
    if (loaded.identity === null) {
      const boot = await this.bootstrap();
      loaded = { identity: boot.identity, hardState: boot.hardState, snapshot: boot.snapshot, entries: [], tail: [] };
      registry = boot.registry;
    } else {
      this.checkIdentity(loaded);
      registry = loaded.snapshot === null ? new MemberRegistry() : MemberRegistry.decode(loaded.snapshot.data);
    }
    const identity = loaded.identity as StoreIdentity;
    this.selfId = identity.memberId;
    this.clusterId = identity.clusterId;
    this.snapFiles = new SnapshotFiles(path.join(cfg.dataDir, 'snap'));
    await this.snapFiles.init();
    const kvDir = path.join(cfg.dataDir, 'kv');
    checkKvPresent(kvDir, loaded, BOOTSTRAP_INDEX);
    this.kv = await this.openKv(kvDir, this.log, cfg).catch((err: unknown) => {
      throw asKvOpenError(err, kvDir);
    });
    for (const dbDir of kvDbDirs(kvDir)) checkLevelDbOpen(dbDir, cfg.dataDir, 'store');
    this.metrics.observeKeyCount(() => this.kv.keyCount);
    this.metrics.serverInfo.set({ version: KITE_VERSION, member_id: this.selfId, name: cfg.name, cluster_id: this.clusterId }, 1);
    this.kv.onCorrupt((err) => this.corrupt(err));
    const peerTls = this.peerTlsFiles();
    // Peers' hash requests (the corruption checks), answered from this member's store.
    const hashKvDoor = new HashKvDoor(this.hashSource(), this.log);
    this.transport = new PeerTransport({
      tls:
        peerTls === null
          ? null
          : {
              files: peerTls,
              member: (id) => {
                const m = this.host.registry.get(id);
                return m === undefined ? undefined : { name: m.name, peerUrl: m.peerUrls[0] ?? '' };
              },
            },
      selfId: this.selfId,
      clusterId: this.clusterId,
      listenUrl: cfg.listenPeerUrl,
      logger: this.log,
      metrics: this.metrics,
      handlers: {
        onRaft: (from, messages) => this.host.stepMessages(from, messages),
        onForward: (from, request, caller) => this.ops.onForward(from, request, caller),
        onSnapshotChunk: (from, chunk) =>
          receiveSnapshotChunk(
            {
              files: this.snapFiles,
              selfId: this.selfId,
              staged: (peer, metadata, file) => this.host.snapshotStaged(peer, metadata, file),
              // A full disk while staging stops the member (`disk full: <file>`, exit 6).
              diskFull: (err) => this.fatal(err),
            },
            from,
            chunk,
          ),
        onLinkLost: (peer) => {
          this.snapFiles.abort(peer).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'dropping a partial snapshot failed'));
          this.host.reportUnreachable(peer);
        },
        onRaftDropped: (peer) => this.host.reportUnreachable(peer),
        onLinkUp: () => undefined,
        onHttp: (req, res) => {
          if (hashKvDoor.serve(req, res)) return true;
          if (req.url !== '/members') return false;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ clusterId: this.clusterId, members: this.host.registry.list() }));
          return true;
        },
      },
    });
    const mutantClock = mutantTickClock(mutant);
    this.host = new Host({
      ...(mutantClock === null ? {} : { clock: mutantClock }),
      config: cfg,
      selfId: this.selfId,
      clusterId: this.clusterId,
      logger: this.log,
      metrics: this.metrics,
      logStore: this.logStore,
      loaded,
      kv: this.kv,
      registry,
      snapFiles: this.snapFiles,
      // Frames of bounded size (raft-frames.ts); a dropped one reports the peer unreachable.
      send: (to, messages) => raftFrames(messages).every((frame) => this.transport.sendRaft(to, frame)),
      sendSnapshot: (to, message, chunks) => this.transport.sendSnapshot(to, message, chunks),
      flushSends: () => this.transport.flushNow(),
      onPeersChanged: (peers) => this.transport.setPeers(peers),
      onRemoved: () => void this.stop('removed from the cluster', 0).catch((err: unknown) => this.fatal(err)),
      onFatal: (err) => this.fatal(err),
      mutant,
    });
    await this.host.recover();
    await this.transport.start();
    this.transport.setPeers(registry.peerUrls());
    const authorizer = new Authorizer({
      view: this.kv.auth,
      leaseKeys: (id) => this.kv.leaseTimeToLive(id, true).keys ?? [],
    });
    const auth = new AuthService({
      view: this.kv.auth,
      authorizer,
      tokens: await tokenProvider(cfg),
      throttle: new LoginThrottle(),
      linearizableRead: () => this.host.linearizableRead(cfg.requestTimeoutMs),
      revisionNow: () => this.kv.currentRevision,
    });
    let authWasEnabled = this.kv.auth.enabled;
    this.kv.onAuthChange(() => {
      auth.recheckWatches();
      if (this.kv.auth.enabled !== authWasEnabled) {
        authWasEnabled = this.kv.auth.enabled;
        this.log.info({ authRevision: this.kv.auth.revision }, authWasEnabled ? 'authentication enabled' : 'authentication disabled');
      }
    });
    const auditQueue = new AuditQueue({
      propose: async (records) => {
        const leader = this.host.leader;
        if (leader === null) throw new Error('no leader');
        if (leader === this.selfId) return this.ops.proposeAuditAppend(records);
        const { reply } = await this.transport.forward(leader, { id: 0, op: AUDIT_APPEND_OP, records } as unknown as Request, INTERNAL_CALLER, cfg.requestTimeoutMs);
        if (!reply.ok) throw new Error(reply.error.message);
      },
      onDropped: (count) => this.metrics.auditDropped.inc(count),
    });
    this.auditQueue = auditQueue;
    this.ops = new OpServer({
      auditQueue,
      auth,
      authorizer,
      config: cfg,
      selfId: this.selfId,
      clusterId: this.clusterId,
      host: this.host,
      kv: this.kv,
      transport: this.transport,
      metrics: this.metrics,
      quota: () => ({ noSpace: this.noSpace, dbSizeBytes: this.dbSizeBytes }),
      chargeQuota: (costBytes) => this.chargeQuota(costBytes),
    });
    const clientTls = cfg.clientTls === null ? null : new TlsFiles(cfg.clientTls, this.log.child({ component: 'client' }));
    this.clientServer = new ClientServer({
      listenUrl: cfg.listenClientUrl,
      tls: clientTls,
      backend: this.ops,
      limits: { maxRequestBytes: cfg.maxRequestBytes, maxWatchesPerConnection: cfg.maxWatchesPerConnection, maxTxnOps: cfg.maxTxnOps, maxConnectionResponseBytes: cfg.maxConnectionResponseBytes },
      connections: { clientIdleTimeoutMs: cfg.clientIdleTimeoutMs, maxClientConnectionsPerAddress: cfg.maxClientConnectionsPerAddress },
      logger: this.log,
      metrics: this.metrics,
      health: () => this.health(),
      status: () => this.statusJson(),
    });
    if (cfg.grpcListenUrl !== null) {
      this.etcdDoor = new EtcdDoor({
        ops: this.ops,
        auth,
        config: cfg,
        log: this.log,
        tls: clientTls,
      });
    }
    this.host.start();
    this.clientServer.serveEtcdGateway(this.etcdDoor?.gateway ?? null);
    await this.clientServer.start();
    if (this.etcdDoor !== null && cfg.grpcListenUrl !== null) await this.etcdDoor.listen(cfg.grpcListenUrl);
    await this.onHousekeeping();
    void this.publishOnceLeaderKnown();
    this.housekeeping = setInterval(() => void this.onHousekeeping(), HOUSEKEEPING_INTERVAL_MS);
    this.housekeeping.unref();
    this.startLeaderUpkeep();
    if (cfg.initialCorruptCheck) void this.initialCheck(registry);
    this.log.info(
      { memberId: this.selfId, clusterId: this.clusterId, client: cfg.advertiseClientUrl, peer: cfg.advertisePeerUrl, grpc: cfg.grpcListenUrl?.href ?? 'none', dataDir: cfg.dataDir },
      'kite member started',
    );
  }

  /**
   * The initial corruption check (etcd's --experimental-initial-corrupt-check, off by default
   * there), run once serving started: it hashes the whole store (seconds with a million keys,
   * issue 14), and a start waiting for it missed the restart budget several times over. The
   * window it leaves is the one etcd's periodic check leaves: until it answers, a member whose
   * store silently differs serves; when it differs from as many peers as agree, the member
   * stops with exit 3 like a start that finds damage. Damage its own checksums catch while
   * hashing stops the member through onCorrupt.
   */
  private async initialCheck(registry: MemberRegistry): Promise<void> {
    try {
      await initialCorruptCheck(this.hashSource(), registry, this.peerTlsFiles()?.pem ?? null, this.log);
    } catch (err) {
      if (this.stopped !== null || isCorruptError(err)) return;
      if (!(err instanceof DataDirError)) {
        this.log.warn({ err: (err as Error).message }, 'initial corruption check failed to run');
        return;
      }
      this.log.fatal(
        { err: err.message },
        `${err.code}: data dir ${this.config.dataDir}: ${err.message}; stopping this member (replace it: \`kite member remove\`, delete its data dir, \`kite member add\`, start it with --initial-cluster-state existing)`,
      );
      this.stop('initial corruption check', EXIT_DATA_DIR).catch(() => this.finish(EXIT_DATA_DIR));
    }
  }

  /** Peer TLS material, read once per member (the transport and a joining fetch share it). */
  private peerTlsFiles(): TlsFiles | null {
    if (this.config.peerTls === null) return null;
    this.peerTls ??= new TlsFiles(this.config.peerTls, this.log.child({ component: 'peer' }));
    return this.peerTls;
  }

  private checkIdentity(loaded: LoadedRaftState): void {
    const id = loaded.identity as StoreIdentity;
    if (id.name !== this.config.name) {
      throw new DataDirError('WrongDataDir', `data dir ${this.config.dataDir} belongs to member "${id.name}", not "${this.config.name}"`);
    }
  }

  /**
   * A fresh data dir: derive ids (new cluster) or learn them from the members (existing).
   * Every member of a new cluster starts from the same synthetic snapshot at index 1 (term 1)
   * holding the initial configuration, so the log proper starts at 2 and a member that joins
   * later always receives a snapshot first, and with it the configuration (replaying the log
   * alone would miss the initial voters, which no entry records).
   */
  private async bootstrap(): Promise<{ identity: StoreIdentity; registry: MemberRegistry; snapshot: Snapshot; hardState: HardState | null }> {
    const cfg = this.config;
    let identity: StoreIdentity;
    let registry: MemberRegistry;
    let voters: string[];
    const isNew = cfg.initialClusterState === 'new';
    if (isNew) {
      ({ identity, registry, voters } = newClusterState(cfg));
    } else {
      const joined = await this.fetchMembership();
      identity = { clusterId: joined.clusterId, memberId: joined.self.id, name: cfg.name };
      registry = new MemberRegistry(joined.members);
      // A joining member starts with no configuration: the leader's log (or snapshot) gives it one.
      voters = [];
    }
    const { snapshot, hardState } = await initializeDataDir(this.logStore, identity, registry, voters, isNew);
    this.log.info({ memberId: identity.memberId, clusterId: identity.clusterId, state: cfg.initialClusterState }, 'initialized data dir');
    return { identity, registry, snapshot, hardState };
  }

  private async fetchMembership(): Promise<{ clusterId: string; self: Member; members: Member[] }> {
    const cfg = this.config;
    const problems: string[] = [];
    for (const peer of cfg.initialCluster) {
      if (peer.name === cfg.name) continue;
      try {
        const body = (await getJson(`${peer.peerUrl}/members`, this.peerTlsFiles()?.pem ?? null, 3_000)) as { clusterId: string; members: Member[] };
        const self = body.members.find((m) => m.peerUrls.includes(cfg.advertisePeerUrl));
        if (self === undefined) {
          problems.push(`${peer.peerUrl} does not list ${cfg.advertisePeerUrl}: add this member first (member add)`);
          continue;
        }
        return { clusterId: body.clusterId, self, members: body.members };
      } catch (err) {
        problems.push(`${peer.peerUrl}: ${(err as Error).message}`);
      }
    }
    throw new KiteError('Unavailable', `cannot join the existing cluster: ${problems.join('; ') || 'no other member in --initial-cluster'}`);
  }

  /** What a hash request reads: this member's store, after its host applied an index. */
  /** The one hash source of the checks and the peer door: they share running hashes. */
  private hashSource(): HashSource {
    this.hashes ??= {
      selfId: this.selfId,
      currentRevision: () => this.kv.currentRevision,
      compactRevision: () => this.kv.compactRevision,
      hash: sharedHashes((revision) => this.kv.hash(revision)),
      waitApplied: (index, timeoutMs) => this.host.waitApplied(index, timeoutMs),
    };
    return this.hashes;
  }

  /** Auto-compaction and the periodic corruption check: timers on every member, acting on the leader. */
  private startLeaderUpkeep(): void {
    const cfg = this.config;
    const corruptArmed = (): boolean => this.host.registry.hasAlarm('CORRUPT');
    if (cfg.corruptCheckIntervalMs > 0) {
      this.corruptChecker = new CorruptChecker({
        source: this.hashSource(),
        registry: this.host.registry,
        tls: () => this.peerTlsFiles()?.pem ?? null,
        logger: this.log.child({ component: 'corrupt-check' }),
        intervalMs: cfg.corruptCheckIntervalMs,
        isLeader: () => this.host.isLeader,
        appliedIndex: () => this.kv.appliedIndex,
        raiseCorrupt: (memberId) => this.host.proposeAlarm({ action: 'activate', memberId, alarm: 'CORRUPT' }, cfg.requestTimeoutMs),
        onChecked: () => this.metrics.corruptChecks.inc(),
      });
      this.corruptChecker.start();
    }
    if (cfg.autoCompaction !== null) {
      this.autoCompactor = new AutoCompactor({
        planner: plannerFor(cfg.autoCompaction, monotonicMs()),
        clock: monotonicMs,
        logger: this.log.child({ component: 'auto-compaction' }),
        currentRevision: () => this.kv.currentRevision,
        compactRevision: () => this.kv.compactRevision,
        mayCompact: () => this.host.isLeader && !corruptArmed(),
        compact: async (revision) => {
          const outcome = await this.host.proposeKv(this.kv.encodeCommand('compact', { revision }), cfg.requestTimeoutMs);
          if (!outcome.ok && outcome.error.code !== 'Compacted') throw outcome.error;
          if (outcome.ok) this.metrics.autoCompactions.inc();
          return outcome.ok ? 'ok' : 'compacted';
        },
      });
      this.autoCompactor.start();
    }
  }

  // ---- stop

  /** Graceful stop: stop accepting, finish the loop turn in flight, close the stores. */
  stop(reason: string, exitCode = 0): Promise<void> {
    if (this.stopped !== null) return this.stopped;
    this.stopped = (async () => {
      this.log.info({ reason }, 'stopping');
      if (this.housekeeping) clearInterval(this.housekeeping);
      this.corruptChecker?.stop();
      this.autoCompactor?.stop();
      this.auditQueue?.stop();
      await this.etcdDoor?.close().catch(() => undefined);
      await this.clientServer?.close().catch(() => undefined);
      await this.host?.stop();
      await this.transport?.close().catch(() => undefined);
      await this.snapFiles?.closeAll().catch(() => undefined);
      await this.kv?.close();
      await this.logStore?.close();
      this.log.info('stopped');
      this.finish(exitCode);
    })();
    return this.stopped;
  }

  private fatal(err: unknown): void {
    const full = diskFullPath(err, this.config.dataDir);
    if (full !== null) {
      // Stop at once: the batch that failed was not acknowledged and nothing after it will be.
      this.log.fatal({ err, path: full }, `disk full: ${full}; stopping without acknowledging more (free space, then restart: the member catches up from the others)`);
      this.finish(EXIT_DISK_FULL);
      return;
    }
    this.log.fatal({ err }, 'fatal error in the raft loop; exiting without acknowledging more');
    this.finish(1);
  }

  /**
   * The store found damaged data while serving (it already refuses reads): stop at once, like
   * a start that finds it (exit 3); the next start verifies the store and refuses with the
   * recovery steps.
   */
  private corrupt(err: Error): void {
    const why = `CorruptDataDir: data dir ${this.config.dataDir}: the store ${err.message}`;
    this.log.fatal({ err: err.message }, `${why}; stopping this member (its next start verifies the store and says how to recover)`);
    // The store already refuses every read. Stop after this turn, so the reply carrying the
    // Corrupt error to the client that hit the damage goes out before the connections close.
    setImmediate(() => {
      this.stop('store corrupt', EXIT_DATA_DIR).catch(() => this.finish(EXIT_DATA_DIR));
    });
  }

  // ---- status, health, housekeeping

  private chargeQuota(costBytes: number): boolean {
    if (this.noSpace) return false;
    if (this.dbSizeBytes + this.chargedBytes + costBytes > this.config.quotaBytes) {
      // etcd raises its alarm on the first write the quota refuses; so does Kite.
      this.noSpace = true;
      this.log.warn({ dbSize: this.dbSizeBytes, chargedBytes: this.chargedBytes, costBytes, quota: this.config.quotaBytes }, 'NOSPACE alarm raised: a write would pass the quota');
      return false;
    }
    this.chargedBytes += costBytes;
    return true;
  }

  private health(): { healthy: boolean; reason: string } {
    if (this.host.leader === null) return { healthy: false, reason: 'no leader' };
    if (!this.host.healthy()) return { healthy: false, reason: 'applying behind commit' };
    if (this.noSpace || this.host.registry.hasAlarm('NOSPACE')) return { healthy: false, reason: 'NOSPACE alarm' };
    if (this.host.registry.hasAlarm('CORRUPT')) return { healthy: false, reason: 'CORRUPT alarm' };
    return { healthy: true, reason: '' };
  }

  async statusJson(): Promise<Record<string, unknown>> {
    const st = this.host.status();
    const dbSize = this.dbSizeBytes;
    const metric = async (name: string): Promise<number> => {
      const m = await this.metrics.registry.getSingleMetric(name)?.get();
      return m?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
    };
    return {
      ...st,
      isLeader: st.leader === this.selfId,
      compactRevision: this.kv.compactRevision,
      clusterId: this.clusterId,
      version: KITE_VERSION,
      dbSize,
      raftLogSize: st.raftLogEntries,
      snapshotsSent: await metric('kite_network_snapshot_send_success_total'),
      snapshotsReceived: await metric('kite_network_snapshot_receive_success_total'),
      watchers: this.kv.watcherCount,
      // Armed (replicated) alarms, plus this member's measured condition not yet raised.
      alarms: [...new Set([...this.host.registry.alarms().map((a) => a.alarm), ...(this.noSpace ? ['NOSPACE'] : [])])],
    };
  }

  private async onHousekeeping(): Promise<void> {
    if (this.stopped !== null) return;
    try {
      const charged = this.chargedBytes;
      this.dbSizeBytes = await dirSizeBytes(path.join(this.config.dataDir, 'kv'));
      // Writes charged before the measurement are in it (or, still in flight, in the next one).
      this.chargedBytes = Math.max(0, this.chargedBytes - charged);
      this.metrics.dbSize.set(this.dbSizeBytes);
      this.metrics.raftLogEntries.set(this.logStore.entryCount());
      // This member's measured condition (not the replicated alarm, which only an operator's
      // disarm clears): raised past the quota (or by a refused write, chargeQuota); cleared
      // only once a large request fits again, so it does not flap at the boundary.
      const clearMarginBytes = Math.min(this.config.maxRequestBytes, Math.floor(this.config.quotaBytes / 2));
      const over = this.noSpace ? this.dbSizeBytes + clearMarginBytes > this.config.quotaBytes : this.dbSizeBytes > this.config.quotaBytes;
      if (over !== this.noSpace) {
        this.noSpace = over;
        this.log.warn({ dbSize: this.dbSizeBytes, quota: this.config.quotaBytes }, over ? 'NOSPACE alarm raised' : 'NOSPACE alarm cleared');
        // Every member's quota counts, not only the leader's (which charges each write it
        // admits): a member whose own store passes its quota raises the replicated alarm,
        // naming itself, so the whole cluster refuses. Once, when it passes: after a disarm,
        // the next write it refuses raises it again (chargeQuota, or OpServer on a follower).
        if (over) void this.ops.raiseNoSpace(this.config.requestTimeoutMs);
      }
      await this.publishAttributes();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'housekeeping failed');
    }
  }

  /**
   * Makes the log record this member's name and client URL (etcd's publish): once per start
   * (like etcd; a data dir from before publishing existed holds its own URL only locally),
   * and again whenever the replicated record differs from this member's configuration.
   */
  private async publishAttributes(): Promise<void> {
    if (this.publishing) return;
    this.publishing = true;
    try {
      await this.publishAttributesOnce();
    } finally {
      this.publishing = false;
    }
  }

  /**
   * The first publish of a start, as soon as a leader is known (every heartbeat interval until
   * then) rather than at the next housekeeping round: a new cluster lists every client URL
   * from its first moments, and the entry lands before clients start work.
   */
  private async publishOnceLeaderKnown(): Promise<void> {
    const pollMs = this.config.tickMs * this.config.heartbeatTicks;
    while (this.stopped === null && !this.attributesPublished) {
      if (this.host.leader !== null) await this.publishAttributes().catch((err: unknown) => this.log.debug({ err: (err as Error).message }, 'publishing attributes failed'));
      if (!this.attributesPublished) await new Promise((r) => setTimeout(r, pollMs).unref());
    }
  }

  private async publishAttributesOnce(): Promise<void> {
    const me = this.host.registry.get(this.selfId);
    const clientUrls = [toWs(this.config.advertiseClientUrl)];
    const grpcUrls = this.config.advertiseGrpcUrl === null ? [] : [this.config.advertiseGrpcUrl];
    if (me === undefined) return;
    const recorded = me.name === this.config.name && me.clientUrls.join() === clientUrls.join() && (me.grpcUrls ?? []).join() === grpcUrls.join();
    if (recorded && this.attributesPublished) return;
    const leader = this.host.leader;
    if (leader === null) return;
    const attrs = { memberId: this.selfId, name: this.config.name, clientUrls, grpcUrls };
    if (leader === this.selfId) this.attributesPublished = this.host.proposeAttributes(attrs);
    else this.attributesPublished = (await this.transport.forward(leader, { id: 0, op: PUBLISH_OP, attrs } as unknown as Request, INTERNAL_CALLER, this.config.requestTimeoutMs)).reply.ok;
  }
}

/** Client URLs are published as ws:// (what clients dial). */
function toWs(url: string): string {
  return url.replace(/^http/, 'ws');
}
