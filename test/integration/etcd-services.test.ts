// etcdctl (Debian's etcd-client, v3 API over gRPC) against a 3-member Kite cluster's etcd
// doors, for the Lease, Maintenance, Cluster and Auth services: leases granted, kept alive
// (once, and as a stream killed after a few responses), inspected with their keys, listed and
// revoked; endpoint status / health / hashkv over the whole cluster (found through MemberList's
// clientURLs), defrag, alarm list, snapshot save, move-leader; a learner added, started,
// promoted and removed; users and roles, and a user limited to a prefix refused outside it;
// and over TLS, the cluster found from MemberList's host:port clientURLs and a snapshot saved.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, type Client, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { backupStatus } from '@kite/server';
import { writeDevCerts } from '../../jepsen-lite/src/cluster/dev-certs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';
import { EtcdctlProcess, etcdctl, etcdctlOk, parseEtcdJson } from './harness/etcdctl.js';
import { etcdClientPackage } from '../../packages/server/src/etcd/etcd-proto.js';

/** One unary Maintenance call with grpc-js (etcdctl has no command that activates an alarm). */
async function maintenanceCall(endpoint: string, method: string, req: Record<string, unknown>): Promise<Record<string, unknown>> {
  const Maintenance = (etcdClientPackage() as GrpcObject)['Maintenance'] as ServiceClientConstructor;
  const client = new Maintenance(endpoint, credentials.createInsecure()) as Client & Record<string, (r: unknown, cb: (err: Error | null, resp: Record<string, unknown>) => void) => void>;
  try {
    return await new Promise((resolve, reject) => {
      const call = client[method];
      if (call === undefined) throw new Error(`no method ${method}`);
      call.call(client, req, (err, resp) => (err === null ? resolve(resp) : reject(err)));
    });
  } finally {
    client.close();
  }
}

interface StatusJson {
  readonly Endpoint: string;
  readonly Status: {
    readonly header: { readonly member_id: string; readonly revision: number };
    readonly version: string;
    readonly dbSize: number;
    readonly leader: string;
    readonly raftIndex: number;
    readonly raftTerm: number;
  };
}

interface HashKvJson {
  readonly Endpoint: string;
  readonly HashKV: { readonly header: { readonly revision: number }; readonly hash: number; readonly compact_revision?: number };
}

interface MemberJson {
  readonly ID: string;
  readonly name?: string;
  readonly peerURLs: readonly string[];
  readonly clientURLs?: readonly string[];
  readonly isLearner?: boolean;
}

const hexOf = (id: string): string => BigInt(id).toString(16);
/**
 * Endpoints as host:port: etcd's Go client sends an endpoint as given as the HTTP/2 :authority
 * when it dials one member (Maintenance calls), and Node's HTTP/2 layer refuses one with a
 * scheme (see cluster-service.ts).
 */
const hostPort = (url: string): string => url.replace(/^[a-z]+:\/\//, '');

describe('etcdctl: lease, maintenance, cluster and auth services', () => {
  let cluster: Cluster;
  let eps: string[];
  const scratch = mkdtempSync(path.join(tmpdir(), 'kite-etcd-services-'));
  beforeAll(async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    await cluster.leader();
    eps = cluster.grpcUrls.map(hostPort);
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('grants a lease, keeps it alive, shows its keys, lists and revokes it (then keep-alive finds none)', async () => {
    const granted = await etcdctlOk(eps, ['lease', 'grant', '60']);
    const id = /^lease ([0-9a-f]+) granted with TTL\(60s\)$/m.exec(granted)?.[1];
    if (id === undefined) throw new Error(`unexpected lease grant output: ${granted}`);
    expect(await etcdctlOk(eps, ['put', '--lease', id, '/lease/a', '1'])).toBe('OK\n');
    expect(await etcdctlOk(eps, ['put', '--lease', id, '/lease/b', '2'])).toBe('OK\n');
    expect(await etcdctlOk(eps, ['lease', 'keep-alive', '--once', id])).toBe(`lease ${id} keepalived with TTL(60)\n`);
    const ttl = await etcdctlOk(eps, ['lease', 'timetolive', '--keys', id]);
    expect(ttl).toMatch(new RegExp(`^lease ${id} granted with TTL\\(60s\\), remaining\\((\\d+)s\\), attached keys\\(\\[/lease/a /lease/b\\]\\)\\n$`));
    expect(await etcdctlOk(eps, ['lease', 'list'])).toContain(`found 1 leases\n${id}\n`);

    expect(await etcdctlOk(eps, ['lease', 'revoke', id])).toBe(`lease ${id} revoked\n`);
    expect(await etcdctlOk(eps, ['get', '/lease/', '--prefix'])).toBe('');
    expect(await etcdctlOk(eps, ['lease', 'timetolive', id])).toBe(`lease ${id} already expired\n`);
    // A keepalive for a lease that is gone answers TTL 0, which etcd's client reports as not found.
    const gone = await etcdctl(eps, ['lease', 'keep-alive', '--once', id]);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('etcdserver: requested lease not found');
    expect(await etcdctlOk(eps, ['lease', 'revoke', id]).catch((e: Error) => e.message)).toContain('etcdserver: requested lease not found');
  });

  it('keeps a lease alive over the KeepAlive stream until etcdctl is stopped', async () => {
    const granted = await etcdctlOk(eps, ['lease', 'grant', '3']);
    const id = /^lease ([0-9a-f]+) granted/m.exec(granted)?.[1];
    if (id === undefined) throw new Error(`unexpected lease grant output: ${granted}`);
    const keeper = new EtcdctlProcess(eps, ['lease', 'keep-alive', id]);
    try {
      // etcd's client renews every TTL/3: each line is one answered renewal on the one stream.
      await waitFor('three keepalive responses', 20_000, () => ((keeper.stdout.match(/keepalived with TTL\(3\)/g) ?? []).length >= 3 ? true : undefined));
      expect(keeper.running).toBe(true);
      expect(await etcdctlOk(eps, ['lease', 'timetolive', id])).toMatch(new RegExp(`^lease ${id} granted with TTL\\(3s\\), remaining\\(\\d+s\\)`));
    } finally {
      await keeper.stop();
    }
    expect(keeper.stderr).not.toContain('Error');
  });

  it('endpoint status, health and hashkv reach every member through MemberList (-w table and -w json)', async () => {
    const statuses = parseEtcdJson<StatusJson[]>(await etcdctlOk([eps[0] ?? ''], ['endpoint', 'status', '--cluster', '-w', 'json']));
    expect(statuses.map((s) => s.Endpoint).sort()).toEqual([...eps].sort());
    const leaders = new Set(statuses.map((s) => String(s.Status.leader)));
    expect(leaders.size).toBe(1);
    const leaderName = await cluster.leader();
    expect(hexOf([...leaders][0] ?? '0').padStart(16, '0')).toBe((await cluster.status(leaderName)).memberId);
    for (const s of statuses) {
      expect(s.Status.version).toMatch(/^3\.4\.0\+kite\./);
      expect(s.Status.dbSize).toBeGreaterThan(0);
      expect(s.Status.raftTerm).toBeGreaterThan(0);
    }
    const table = await etcdctlOk([eps[1] ?? ''], ['endpoint', 'status', '--cluster', '-w', 'table']);
    for (const ep of eps) expect(table).toContain(ep);
    expect(table).toContain('IS LEADER');

    // etcdctl 3.4 prints the health lines on stderr.
    const health = await etcdctl([eps[2] ?? ''], ['endpoint', 'health', '--cluster']);
    expect(health.code).toBe(0);
    for (const ep of eps) expect(health.stderr + health.stdout).toMatch(new RegExp(`${ep} is healthy`));
    const healthJson = parseEtcdJson<{ endpoint: string; health: boolean }[]>(await etcdctlOk(eps, ['endpoint', 'health', '-w', 'json']));
    expect(healthJson.every((h) => h.health)).toBe(true);

    // Every member hashes the same history to the same number at the same revision.
    await etcdctlOk(eps, ['put', '/hash/k', 'v']);
    const rev = Math.max(...statuses.map((s) => s.Status.header.revision)) + 1;
    const hashes = await waitFor('every member to answer hashkv at the revision', 15_000, async () => {
      const r = await etcdctl([eps[0] ?? ''], ['endpoint', 'hashkv', '--cluster', '--rev', String(rev), '-w', 'json']);
      return r.code === 0 ? parseEtcdJson<HashKvJson[]>(r.stdout) : undefined;
    });
    expect(hashes.map((h) => h.Endpoint).sort()).toEqual([...eps].sort());
    expect(new Set(hashes.map((h) => h.HashKV.hash)).size).toBe(1);
    const hashTable = await etcdctlOk([eps[0] ?? ''], ['endpoint', 'hashkv', '--cluster', '--rev', String(rev), '-w', 'table']);
    for (const ep of eps) expect(hashTable).toContain(ep);
    expect(hashTable).toContain(String(hashes[0]?.HashKV.hash));
  });

  it('defragments every member, lists no alarm, and saves a snapshot Kite can verify', async () => {
    const defrag = await etcdctlOk([eps[0] ?? ''], ['defrag', '--cluster']);
    for (const ep of eps) expect(defrag).toContain(`Finished defragmenting etcd member[${ep}]`);
    expect(await etcdctlOk(eps, ['alarm', 'list'])).toBe('');

    await etcdctlOk(eps, ['put', '/snap/k', 'v']);
    const revision = parseEtcdJson<{ header: { revision: number } }>(await etcdctlOk(eps, ['get', '/snap/k', '-w', 'json'])).header.revision;
    const file = path.join(scratch, 'snap.db');
    expect(await etcdctlOk([eps[1] ?? ''], ['snapshot', 'save', file])).toContain(`Snapshot saved at ${file}`);
    // The file is Kite's backup format, byte for byte as the member streamed it: its SHA-256
    // trailer and every record check out, and it holds the store at or after the put.
    const st = await backupStatus(file);
    expect(st.revision).toBeGreaterThanOrEqual(revision);
    expect(st.totalKeys).toBeGreaterThan(0);
    // etcdctl's own status command reads bolt databases only: it refuses the file (documented).
    const etcdStatus = await etcdctl([], ['snapshot', 'status', file]);
    expect(etcdStatus.code).not.toBe(0);
  });

  it('an activated NOSPACE alarm is listed, refuses puts with etcd\'s error, shows in status, and etcdctl disarms it', async () => {
    const memberId = BigInt(`0x${(await cluster.status('n2')).memberId}`).toString();
    const armed = await maintenanceCall(eps[0] ?? '', 'Alarm', { action: 'ACTIVATE', memberID: memberId, alarm: 'NOSPACE' });
    expect(armed['alarms']).toEqual([{ memberID: memberId, alarm: 'NOSPACE' }]);
    expect(await etcdctlOk(eps, ['alarm', 'list'])).toContain(`memberID:${memberId} alarm:NOSPACE`);
    const refused = await etcdctl(eps, ['put', '/alarm/k', 'v']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('etcdserver: mvcc: database space exceeded');
    const statuses = parseEtcdJson<StatusJson[]>(await etcdctlOk(eps, ['endpoint', 'status', '-w', 'json']));
    for (const s of statuses) expect((s.Status as unknown as { errors?: string[] }).errors).toContain('alarm:NOSPACE');
    expect(await etcdctlOk(eps, ['alarm', 'disarm'])).toContain(`memberID:${memberId} alarm:NOSPACE`);
    expect(await etcdctlOk(eps, ['alarm', 'list'])).toBe('');
    expect(await etcdctlOk(eps, ['put', '/alarm/k', 'v'])).toBe('OK\n');
  });

  it('moves leadership to the member etcdctl names', async () => {
    const before = await cluster.leader();
    const target = cluster.members.find((m) => m.name !== before)?.name ?? '';
    const targetHex = (await cluster.status(target)).memberId;
    const out = await waitFor('leadership to move', 30_000, async () => {
      const r = await etcdctl(eps, ['move-leader', targetHex]);
      return r.code === 0 ? r.stdout : undefined;
    });
    expect(out).toContain(`Leadership transferred from`);
    expect(out).toContain(`to ${targetHex.replace(/^0+/, '')}`);
    expect(await cluster.leader()).toBe(target);
  });

  it('adds a learner, which starts, is promoted and removed; member list shows gRPC URLs', async () => {
    const listed = parseEtcdJson<{ members: MemberJson[] }>(await etcdctlOk(eps, ['member', 'list', '-w', 'json'])).members;
    expect(listed.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const m of listed) expect(m.clientURLs).toEqual([hostPort(cluster.grpcUrl(m.name ?? ''))]);

    const n4 = await cluster.addSpec('n4');
    const added = await etcdctlOk(eps, ['member', 'add', 'n4', `--peer-urls=${cluster.peerUrl('n4')}`, '--learner']);
    const id = /Member\s+([0-9a-f]+) added to cluster/.exec(added)?.[1];
    if (id === undefined) throw new Error(`unexpected member add output: ${added}`);
    const learner = parseEtcdJson<{ members: MemberJson[] }>(await etcdctlOk(eps, ['member', 'list', '-w', 'json'])).members.find((m) => hexOf(m.ID) === id);
    expect(learner?.isLearner).toBe(true);
    expect(learner?.peerURLs).toEqual([cluster.peerUrl('n4')]);

    cluster.start(n4.name, ['--initial-cluster-state', 'existing']);
    await cluster.waitHealthy(n4.name);
    // etcd refuses to promote a learner that has not caught up; retry like an operator would.
    const promoted = await waitFor('n4 promoted', 30_000, async () => {
      const r = await etcdctl(eps, ['member', 'promote', id]);
      if (r.code !== 0) expect(r.stderr).toContain('can only promote a learner member which is in sync with leader');
      return r.code === 0 ? r.stdout : undefined;
    });
    // etcdctl prints ids with %16x: an id below 2^60 is padded with spaces.
    expect(promoted).toMatch(new RegExp(`Member\\s+${id} promoted in cluster`));
    const voter = await waitFor('n4 listed as a started voter', 15_000, async () => {
      const ms = parseEtcdJson<{ members: MemberJson[] }>(await etcdctlOk(eps, ['member', 'list', '-w', 'json'])).members;
      const m = ms.find((x) => hexOf(x.ID) === id);
      return m?.name === 'n4' && m.isLearner !== true ? m : undefined;
    });
    expect(voter.clientURLs).toEqual([hostPort(cluster.grpcUrl('n4'))]);

    expect(await etcdctlOk(eps, ['member', 'remove', id])).toMatch(new RegExp(`Member\\s+${id} removed from cluster`));
    await waitFor('n4 to exit', 15_000, () => (cluster.isRunning('n4') ? undefined : true));
    const after = parseEtcdJson<{ members: MemberJson[] }>(await etcdctlOk(eps, ['member', 'list', '-w', 'json'])).members;
    expect(after.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
    const missing = await etcdctl(eps, ['member', 'remove', id]);
    expect(missing.stderr).toContain('etcdserver: member not found');
  });

  it('limits a user to a prefix: etcdctl --user is refused outside it with permission denied', async () => {
    await etcdctlOk(eps, ['user', 'add', 'root:rootpw']);
    await etcdctlOk(eps, ['role', 'add', 'app']);
    await etcdctlOk(eps, ['role', 'grant-permission', 'app', '--prefix=true', 'readwrite', '/app/']);
    await etcdctlOk(eps, ['user', 'add', 'alice:alicepw']);
    await etcdctlOk(eps, ['user', 'grant-role', 'alice', 'app']);
    // etcdctl adds the role root and grants it when told the root user lacks it, then enables.
    expect(await etcdctlOk(eps, ['auth', 'enable'])).toContain('Authentication Enabled');

    const alice = ['--user', 'alice:alicepw'];
    expect(await etcdctlOk(eps, [...alice, 'put', '/app/x', '1'])).toBe('OK\n');
    expect(await etcdctlOk(eps, [...alice, 'get', '/app/x', '--print-value-only'])).toBe('1\n');
    for (const args of [['put', '/other', '1'], ['get', '/other']]) {
      const r = await etcdctl(eps, [...alice, ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('etcdserver: permission denied');
    }
    const anonymous = await etcdctl(eps, ['get', '/app/x']);
    expect(anonymous.stderr).toContain('etcdserver: user name is empty');
    const wrong = await etcdctl(eps, ['--user', 'alice:nope', 'get', '/app/x']);
    expect(wrong.stderr).toContain('etcdserver: authentication failed, invalid user ID or password');

    const root = ['--user', 'root:rootpw'];
    expect((await etcdctlOk(eps, [...root, 'user', 'list'])).split('\n').filter(Boolean).sort()).toEqual(['alice', 'root']);
    expect(await etcdctlOk(eps, [...root, 'user', 'get', 'alice'])).toContain('Roles: app');
    expect(await etcdctlOk(eps, [...root, 'role', 'get', 'app'])).toMatch(/KV Read:\s+\[\/app\/, \/app0\) \(prefix \/app\/\)/);
    expect((await etcdctl(eps, [...root, 'user', 'get', 'bob'])).stderr).toContain('etcdserver: user name not found');
    expect(await etcdctlOk(eps, [...root, 'auth', 'disable'])).toContain('Authentication Disabled');
    expect(await etcdctlOk(eps, ['get', '/other'])).toBe('');
  });
});

describe('etcdctl over TLS: the cluster found through MemberList, a snapshot saved', () => {
  let cluster: Cluster | undefined;
  const certDir = mkdtempSync(path.join(tmpdir(), 'kite-etcd-services-tls-'));
  afterAll(async () => {
    await cluster?.stop();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('reaches every member from host:port clientURLs with the client certificate, and saves a snapshot', async () => {
    const certs = await writeDevCerts(certDir, ['n1', 'n2', 'n3']);
    cluster = await Cluster.create({ size: 3, tls: certs });
    await cluster.startAll();
    await cluster.leader();
    const tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
    const eps = cluster.grpcUrls.map(hostPort);
    // No scheme in clientURLs: etcdctl dials TLS because its flags say so.
    const statuses = parseEtcdJson<StatusJson[]>(await etcdctlOk([eps[0] ?? ''], ['endpoint', 'status', '--cluster', '-w', 'json'], { tls }));
    expect(statuses.map((s) => s.Endpoint).sort()).toEqual([...eps].sort());
    const file = path.join(certDir, 'tls-snap.db');
    expect(await etcdctlOk([eps[2] ?? ''], ['snapshot', 'save', file], { tls })).toContain(`Snapshot saved at ${file}`);
    expect((await backupStatus(file)).revision).toBeGreaterThanOrEqual(1);
  });
});
