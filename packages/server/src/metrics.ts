// Prometheus metrics of one member (prom-client, a registry per member so tests can run several
// in one process). Names follow etcd's where one exists (etcd_server_* → kite_server_*), and
// prom-client's default process_* / nodejs_* series keep their standard names (no prefix), so
// the dashboards written for any Node.js service work unchanged. Those process series are
// collected once per process and added to every member's scrape: prom-client's collector
// starts an event-loop-delay monitor it never stops, so one per member leaked a sampling
// monitor per member ever created in a process hosting many (the host simulation's soak slowed
// from 0.25 s to over 1.2 s per seed after a few hundred seeds).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Seconds, from 0.5 ms to ~8 s: fsync and apply latencies of interest live in that range.
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];

let processRegistry: Registry | null = null;

/** The process-wide series (process_*, nodejs_*), created on first use. */
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class ServerMetrics {
  /** This member's own series; `exposition()` adds the process-wide ones. */
  readonly registry = new Registry();
  readonly term = new Gauge({ name: 'kite_server_raft_term', help: 'Current Raft term', registers: [this.registry] });
  readonly isLeader = new Gauge({ name: 'kite_server_is_leader', help: '1 when this member is the leader', registers: [this.registry] });
  readonly hasLeader = new Gauge({ name: 'kite_server_has_leader', help: '1 when a leader is known', registers: [this.registry] });
  readonly leaderChanges = new Counter({ name: 'kite_server_leader_changes_seen_total', help: 'Leader changes seen', registers: [this.registry] });
  readonly proposalsCommitted = new Counter({ name: 'kite_server_proposals_committed_total', help: 'Proposals applied (committed entries with data)', registers: [this.registry] });
  readonly proposalsApplied = new Gauge({ name: 'kite_server_proposals_applied_index', help: 'Applied index', registers: [this.registry] });
  readonly proposalsFailed = new Counter({ name: 'kite_server_proposals_failed_total', help: 'Proposals that failed or timed out', registers: [this.registry] });
  readonly auditDropped = new Counter({ name: 'kite_audit_records_dropped_total', help: 'Audit records of refusals and member/alarm changes dropped (queue full or not proposed)', registers: [this.registry] });
  readonly proposalsPending = new Gauge({ name: 'kite_server_proposals_pending', help: 'Proposals waiting to be applied', registers: [this.registry] });
  readonly applyLatency = new Histogram({ name: 'kite_server_apply_duration_seconds', help: 'Time to apply one Ready of committed entries', buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly fsyncLatency = new Histogram({ name: 'kite_disk_wal_fsync_duration_seconds', help: 'Time to persist one Ready (synced batch)', buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  readonly watchers = new Gauge({ name: 'kite_server_watchers', help: 'Live watchers on this member', registers: [this.registry] });
  readonly clientConnections = new Gauge({ name: 'kite_server_client_connections', help: 'Open client WebSocket connections', registers: [this.registry] });
  readonly dbSize = new Gauge({ name: 'kite_mvcc_db_total_size_in_bytes', help: 'Backend size in bytes', registers: [this.registry] });
  readonly raftLogEntries = new Gauge({ name: 'kite_server_raft_log_entries', help: 'Entries held in the Raft log', registers: [this.registry] });
  readonly snapshotsSent = new Counter({ name: 'kite_network_snapshot_send_success_total', help: 'Snapshots streamed to followers', registers: [this.registry] });
  readonly snapshotsSendFailed = new Counter({ name: 'kite_network_snapshot_send_failures_total', help: 'Snapshot streams that failed', registers: [this.registry] });
  readonly snapshotsReceived = new Counter({ name: 'kite_network_snapshot_receive_success_total', help: 'Snapshots received and installed', registers: [this.registry] });
  readonly snapshotsTaken = new Counter({ name: 'kite_server_snapshots_taken_total', help: 'Local snapshots taken (log compactions)', registers: [this.registry] });
  readonly peerDropped = new Counter({ name: 'kite_network_peer_dropped_total', help: 'Peer frames dropped on a full send queue or a down link', labelNames: ['peer'] as const, registers: [this.registry] });
  readonly clientConnectionsRefused = new Counter({ name: 'kite_server_client_connections_refused_total', help: 'Client connections refused at the upgrade, by reason (per_address, links_max, stopping)', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly clientIdleClosed = new Counter({ name: 'kite_server_client_idle_closed_total', help: 'Client connections closed after the idle timeout', registers: [this.registry] });
  readonly corruptChecks = new Counter({ name: 'kite_server_corrupt_checks_total', help: 'Corruption checks this member ran as leader (every member\'s store hash compared at one revision)', registers: [this.registry] });
  readonly autoCompactions = new Counter({ name: 'kite_server_auto_compactions_total', help: 'Compactions this member proposed as leader on its own (--auto-compaction-retention)', registers: [this.registry] });
  readonly clientErrors = new Counter({ name: 'kite_server_client_errors_total', help: 'Error replies sent to clients, by code', labelNames: ['code'] as const, registers: [this.registry] });

  // ---- Operability: requests by op and result, peer links, keys, identity. Label values are
  // bounded: ops and error codes are closed sets (parseRequest rejects unknown ops), peers are
  // the members of the cluster.
  readonly requests = new Counter({ name: 'kite_server_requests_total', help: 'Client requests answered, by op and result (ok, or the error code)', labelNames: ['op', 'result'] as const, registers: [this.registry] });
  readonly requestDuration = new Histogram({ name: 'kite_server_request_duration_seconds', help: 'Time from a client request reaching the member to its reply, by op and result', labelNames: ['op', 'result'] as const, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  // etcd's label names (To/From), so its peer panels port by renaming the metric prefix only.
  readonly peerRoundTrip = new Histogram({ name: 'kite_network_peer_round_trip_time_seconds', help: 'Round-trip time of a ping on the peer link', labelNames: ['To'] as const, buckets: LATENCY_BUCKETS_S, registers: [this.registry] });
  // Counted per frame into plain maps and handed to prom-client at scrape time: a labeled
  // inc() hashes its labels on every call, several times per client write on a leader.
  private readonly sentBytesByPeer = new Map<string, number>();
  private readonly receivedBytesByPeer = new Map<string, number>();
  readonly peerSentBytes: Counter<'To'> = new Counter({
    name: 'kite_network_peer_sent_bytes_total', help: 'Frame bytes sent to a peer', labelNames: ['To'] as const, registers: [this.registry],
    collect: () => drainInto(this.sentBytesByPeer, (peer, n) => this.peerSentBytes.inc({ To: peer }, n)),
  });
  readonly peerReceivedBytes: Counter<'From'> = new Counter({
    name: 'kite_network_peer_received_bytes_total', help: 'Frame bytes received from a peer', labelNames: ['From'] as const, registers: [this.registry],
    collect: () => drainInto(this.receivedBytesByPeer, (peer, n) => this.peerReceivedBytes.inc({ From: peer }, n)),
  });
  // Read from the store at scrape time (a field read), instead of being tracked on every apply.
  readonly keys = new Gauge({
    name: 'kite_mvcc_keys_total',
    help: 'Keys in the index: live keys plus deleted ones whose history is not compacted yet',
    registers: [this.registry],
    collect: () => {
      if (this.readKeyCount !== null) this.keys.set(this.readKeyCount());
    },
  });
  readonly serverInfo = new Gauge({ name: 'kite_server_info', help: 'Always 1; the labels identify the member and its version', labelNames: ['version', 'member_id', 'name', 'cluster_id'] as const, registers: [this.registry] });
  private readKeyCount: (() => number) | null = null;

  constructor() {
    processMetrics();
  }

  /** The text a /metrics scrape returns: this member's series and the process's. */
  async exposition(): Promise<{ readonly body: string; readonly contentType: string }> {
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { body: await merged.metrics(), contentType: merged.contentType };
  }

  /** From now on every scrape reads the key count with `read` (once the store is open). */
  observeKeyCount(read: () => number): void {
    this.readKeyCount = read;
  }

  /** A frame of `bytes` sent to `peer` (counted at the next scrape). */
  addPeerSentBytes(peer: string, bytes: number): void {
    this.sentBytesByPeer.set(peer, (this.sentBytesByPeer.get(peer) ?? 0) + bytes);
  }

  /** A frame of `bytes` received from `peer` (counted at the next scrape). */
  addPeerReceivedBytes(peer: string, bytes: number): void {
    this.receivedBytesByPeer.set(peer, (this.receivedBytesByPeer.get(peer) ?? 0) + bytes);
  }

  /** One client request answered: `result` is 'ok' or the reply's error code. */
  observeRequest(op: string, result: string, seconds: number): void {
    this.requests.inc({ op, result });
    this.requestDuration.observe({ op, result }, seconds);
  }
}

/** Hands every accumulated count to `inc` and forgets it (the map holds one key per peer). */
function drainInto(counts: Map<string, number>, inc: (key: string, n: number) => void): void {
  for (const [key, n] of counts) if (n > 0) inc(key, n);
  counts.clear();
}
