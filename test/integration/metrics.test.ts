// GET /metrics of a real member: the series an operator's dashboard reads exist and move with
// the work done. Requests are counted per op and result (ok or the error code), the key count
// follows the puts, peer links report round trips and bytes, the member says who it is and
// which version it runs, and prom-client's process_* / nodejs_* series keep their standard
// names. Assertions are on counts the test caused, never on how long anything took.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

/** One sample of the Prometheus text format whose labels include `labels`; undefined if absent. */
function sample(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

describe('metrics', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counts requests per op and result, and the keys they create', async () => {
    const PUTS = 7;
    const before = await cluster.metrics('n1');
    const c = await WireClient.connect(cluster.clientUrl('n1'));
    try {
      for (let i = 0; i < PUTS; i++) ok(await c.request('put', { key: b(`metrics/k${i}`), value: b('v') }));
      ok(await c.request('range', { key: b('metrics/k0') }));
      const refused = await c.request('put', { key: b('metrics/leased'), value: b('v'), lease: 424242 });
      expect(refused.ok ? 'ok' : refused.error.code).toBe('LeaseNotFound');
    } finally {
      c.close();
    }
    const after = await cluster.metrics('n1');
    const delta = (name: string, labels: Record<string, string>): number => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);

    expect(delta('kite_server_requests_total', { op: 'put', result: 'ok' })).toBe(PUTS);
    expect(delta('kite_server_requests_total', { op: 'range', result: 'ok' })).toBe(1);
    expect(delta('kite_server_requests_total', { op: 'put', result: 'LeaseNotFound' })).toBe(1);
    expect(delta('kite_server_request_duration_seconds_count', { op: 'put', result: 'ok' })).toBe(PUTS);
    // Every observation falls in the +Inf bucket; the sum of durations is positive.
    expect(delta('kite_server_request_duration_seconds_bucket', { op: 'put', result: 'ok', le: '+Inf' })).toBe(PUTS);
    expect(sample(after, 'kite_server_request_duration_seconds_sum', { op: 'put', result: 'ok' })).toBeGreaterThan(0);
    // Seven new keys (the refused put created none).
    expect(delta('kite_mvcc_keys_total', {})).toBe(PUTS);
  });

  it('reports round trips and bytes per peer link', async () => {
    // The leader: every follower sends it append responses (two followers may exchange no
    // message at all, only WebSocket pings, which the byte counters do not count).
    const leader = await cluster.leader();
    const statuses = await Promise.all(cluster.members.map((m) => cluster.status(m.name)));
    const self = (await cluster.status(leader)).memberId;
    const peers = statuses.map((s) => s.memberId).filter((id) => id !== self);
    // Pings go out once per second: wait (bounded) until each link has had one answered.
    const text = await waitFor('a round trip to every peer', 15_000, async () => {
      const t = await cluster.metrics(leader);
      return peers.every((p) => (sample(t, 'kite_network_peer_round_trip_time_seconds_count', { To: p }) ?? 0) > 0) ? t : undefined;
    });
    for (const p of peers) {
      expect(sample(text, 'kite_network_peer_round_trip_time_seconds_sum', { To: p })).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'kite_network_peer_sent_bytes_total', { To: p })).toBeGreaterThan(0);
      expect(sample(text, 'kite_network_peer_received_bytes_total', { From: p })).toBeGreaterThan(0);
    }
    expect(sample(text, 'kite_network_peer_sent_bytes_total', { To: self })).toBeUndefined();

    // Replication of a write moves bytes from the leader to every follower.
    const leaderName = await cluster.leader();
    const leaderId = statuses.find((s) => s.name === leaderName)?.memberId ?? '';
    const followers = statuses.filter((s) => s.memberId !== leaderId).map((s) => s.memberId);
    const sentBefore = await cluster.metrics(leaderName);
    const c = await WireClient.connect(cluster.clientUrl(leaderName));
    try {
      ok(await c.request('put', { key: b('metrics/replicated'), value: new Uint8Array(4096) }));
    } finally {
      c.close();
    }
    const sentAfter = await cluster.metrics(leaderName);
    for (const f of followers) {
      const grew = (sample(sentAfter, 'kite_network_peer_sent_bytes_total', { To: f }) ?? 0) - (sample(sentBefore, 'kite_network_peer_sent_bytes_total', { To: f }) ?? 0);
      expect(grew).toBeGreaterThanOrEqual(4096);
    }
  });

  it('names the member and its version, and keeps the standard process and nodejs series', async () => {
    const st = await cluster.status('n1');
    const raw = (await (await fetch(`${cluster.httpUrl('n1')}/status`)).json()) as { version: string; clusterId: string };
    const text = await cluster.metrics('n1');
    expect(sample(text, 'kite_server_info', { version: raw.version, member_id: st.memberId, name: 'n1', cluster_id: raw.clusterId })).toBe(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_total_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_version_info', { version: process.version })).toBe(1);
    expect(text).not.toMatch(/^kite_process_|^kite_nodejs_/m);
  });
});
