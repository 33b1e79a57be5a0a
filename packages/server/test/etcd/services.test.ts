// The etcd services' own logic, against a scripted member (EtcdOps): id conversions, error
// translation to etcd's words, permission mapping, the KeepAlive stream's order, TTL 0 and
// queue bound, the Snapshot stream's blobs and remaining_bytes, and the alarm actions.
import { KiteError, type OpArgs, type OpName } from '@kite/protocol';
import { describe, expect, it } from 'vitest';
import type { SnapshotStream } from '../../src/client-handler.js';
import { AuthSession } from '../../src/auth/session.js';
import { authService, kitePermission, etcdPermission } from '../../src/etcd/auth-service.js';
import { clusterService, etcdMember } from '../../src/etcd/cluster-service.js';
import type { EtcdCallContext } from '../../src/etcd/etcd-context.js';
import { KEEPALIVE_QUEUE_MAX, leaseService } from '../../src/etcd/lease-service.js';
import { SNAPSHOT_BLOB_BYTES_MAX, maintenanceService } from '../../src/etcd/maintenance-service.js';
import { EtcdError } from '../../src/etcd/etcd-status-error.js';
import { memberIdArg, memberIdOut, type EtcdOps } from '../../src/etcd/service-call.js';

const HEADER = { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' };

type Script = (op: OpName, args: Record<string, unknown>) => Promise<Record<string, unknown>>;

function fakeOps(script: Script, snapshot?: () => SnapshotStream): EtcdOps & { calls: { op: OpName; args: Record<string, unknown> }[] } {
  const calls: { op: OpName; args: Record<string, unknown> }[] = [];
  return {
    calls,
    async run<O extends OpName>(_ctx: EtcdCallContext, op: O, args: OpArgs<O>) {
      calls.push({ op, args: args as unknown as Record<string, unknown> });
      return { header: HEADER, result: (await script(op, args as unknown as Record<string, unknown>)) as never };
    },
    header: () => HEADER,
    openSnapshot: () => {
      if (snapshot === undefined) throw new Error('no snapshot scripted');
      return snapshot();
    },
  } as EtcdOps & { calls: { op: OpName; args: Record<string, unknown> }[] };
}

const ctx = { session: new AuthSession('127.0.0.1:1', 'grpc') } as unknown as EtcdCallContext;

function unary(handlers: ReturnType<typeof leaseService>, name: string) {
  const h = handlers.unary[name];
  if (h === undefined) throw new Error(`no handler ${name}`);
  return (req: Record<string, unknown>) => h(req, ctx);
}

/** Resolves once `n` responses were sent or the stream ended; `room` says what send answers. */
function collector(n: number, room: () => boolean = () => true) {
  const sent: Record<string, unknown>[] = [];
  let ended: { err?: unknown } | null = null;
  let wake: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (wake = resolve));
  return {
    sent,
    ended: () => ended,
    done,
    send: (r: Record<string, unknown>): boolean => {
      sent.push(r);
      if (sent.length >= n) wake();
      return room();
    },
    end: (err?: unknown) => {
      ended = { err };
      wake();
    },
  };
}

describe('ids', () => {
  it("turns etcd's uint64 member ids into Kite's 16 hex digits and back; 0 is no member", () => {
    expect(memberIdArg('10276657743932975437')).toBe('8e9e05c52164694d');
    expect(memberIdArg('1')).toBe('0000000000000001');
    expect(memberIdArg('0')).toBeNull();
    expect(memberIdArg(undefined)).toBeNull();
    expect(memberIdOut('8e9e05c52164694d')).toBe('10276657743932975437');
    expect(memberIdOut('0000000000000001')).toBe('1');
    expect(memberIdOut(null)).toBe('0');
    expect(() => memberIdArg('18446744073709551616')).toThrow(KiteError);
  });
});

describe('Lease', () => {
  it('Grant passes a chosen id, raises a negative TTL to the minimum, and answers with the granted TTL', async () => {
    const ops = fakeOps(async (op, args) => (op === 'leaseGrant' ? { leaseId: args['leaseId'] ?? 99, ttl: 10 } : {}));
    const grant = unary(leaseService(ops), 'LeaseGrant');
    expect(await grant({ TTL: '5', ID: '0' })).toEqual({ header: HEADER, ID: '99', TTL: '10', error: '' });
    expect(await grant({ TTL: '5', ID: '1234' })).toMatchObject({ ID: '1234' });
    await grant({ TTL: '-3', ID: '0' });
    expect(ops.calls.map((c) => c.args)).toEqual([{ ttl: 5 }, { ttl: 5, leaseId: 1234 }, { ttl: 0 }]);
    const tooLong = fakeOps(async () => {
      throw new KiteError('InvalidArgument', 'lease TTL 9000000001 s is too large (max 9000000000)');
    });
    await expect(unary(leaseService(tooLong), 'LeaseGrant')({ TTL: '9000000001' })).rejects.toEqual(new EtcdError('OUT_OF_RANGE', 'etcdserver: too large lease TTL'));
  });

  it('TimeToLive of an id no lease can have answers TTL -1 without asking the member', async () => {
    const ops = fakeOps(async () => ({ ttl: 3, grantedTtl: 5, keys: [Buffer.from('k')] }));
    const ttl = unary(leaseService(ops), 'LeaseTimeToLive');
    expect(await ttl({ ID: '0', keys: true })).toMatchObject({ ID: '0', TTL: '-1' });
    expect(ops.calls).toHaveLength(0);
    expect(await ttl({ ID: '8', keys: true })).toEqual({ header: HEADER, ID: '8', TTL: '3', grantedTTL: '5', keys: [Buffer.from('k')] });
  });

  it('KeepAlive answers every request in order, TTL 0 for an unknown lease, and ends on other errors', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    const ops = fakeOps(async (_op, args) => {
      const id = args['leaseId'] as number;
      if (id === 1) await slow; // the first renewal is the slowest: order must still hold
      if (id === 404) throw new KiteError('LeaseNotFound', 'lease 404 not found');
      if (id === 500) throw new KiteError('Unavailable', 'no leader');
      return { leaseId: id, ttl: 10 + id };
    });
    const c = collector(3);
    const stream = leaseService(ops).streams?.['LeaseKeepAlive']?.(ctx, c.send, c.end);
    if (stream === undefined) throw new Error('no LeaseKeepAlive stream');
    stream.write({ ID: '1' });
    stream.write({ ID: '2' });
    stream.write({ ID: '404' });
    release();
    await c.done;
    expect(c.sent.map((r) => [r['ID'], r['TTL']])).toEqual([['1', '11'], ['2', '12'], ['404', '0']]);
    expect(c.ended()).toBeNull();
    const c2 = collector(Number.MAX_SAFE_INTEGER);
    const s2 = leaseService(ops).streams?.['LeaseKeepAlive']?.(ctx, c2.send, c2.end);
    s2?.write({ ID: '500' });
    await c2.done;
    expect(c2.ended()?.err).toBeInstanceOf(KiteError);
  });

  it('KeepAlive cuts off a client that queues more than KEEPALIVE_QUEUE_MAX unanswered requests', async () => {
    const never = new Promise<never>(() => undefined);
    const ops = fakeOps(() => never);
    const c = collector(Number.MAX_SAFE_INTEGER);
    const stream = leaseService(ops).streams?.['LeaseKeepAlive']?.(ctx, c.send, c.end);
    const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    stream?.write({ ID: '1' });
    await tick();
    expect(ops.calls).toHaveLength(1);
    for (let i = 1; i < KEEPALIVE_QUEUE_MAX; i++) stream?.write({ ID: '1' });
    expect(c.ended()).toBeNull();
    stream?.write({ ID: '1' });
    expect(c.ended()?.err).toEqual(new EtcdError('RESOURCE_EXHAUSTED', 'etcdserver: too many requests'));
    // The first renewal is still at the member; none of the queued ones is served after the cut.
    await tick();
    expect(ops.calls).toHaveLength(1);
  });
});

describe('Cluster', () => {
  const member = { id: '8e9e05c52164694d', name: 'n1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['ws://127.0.0.1:2379'], isLearner: false, grpcUrls: ['http://127.0.0.1:2389'] };

  it("lists members with etcd's ids and their published gRPC URLs (host:port) as client URLs", () => {
    const { grpcUrls: _g, ...unpublished } = member;
    expect(etcdMember(unpublished)).toMatchObject({ clientURLs: [] });
    expect(etcdMember(member)).toEqual({
      ID: '10276657743932975437', name: 'n1', peerURLs: ['http://127.0.0.1:2380'], clientURLs: ['127.0.0.1:2389'], isLearner: false,
    });
  });

  it("answers Kite's member refusals with etcd's errors", async () => {
    const ops = fakeOps(async (op) => {
      if (op === 'memberRemove' || op === 'memberUpdate') throw new KiteError('InvalidArgument', 'member 0000000000000007 not found');
      if (op === 'memberPromote') throw new KiteError('Unavailable', 'learner 0000000000000007 is not in sync with the leader yet (match 1 of 9)');
      return { members: [member] };
    });
    const svc = clusterService(ops);
    await expect(unary(svc, 'MemberRemove')({ ID: '7' })).rejects.toEqual(new EtcdError('NOT_FOUND', 'etcdserver: member not found'));
    await expect(unary(svc, 'MemberPromote')({ ID: '7' })).rejects.toEqual(
      new EtcdError('FAILED_PRECONDITION', 'etcdserver: can only promote a learner member which is in sync with leader'),
    );
    await expect(unary(svc, 'MemberUpdate')({ ID: '7', peerURLs: ['http://x:1'] })).rejects.toEqual(new EtcdError('NOT_FOUND', 'etcdserver: member not found'));
  });

  it("MemberUpdate is Kite's memberUpdate op on the member's id and new peer URLs", async () => {
    const ops = fakeOps(async () => ({ members: [{ ...member, peerUrls: ['http://127.0.0.1:2480'] }] }));
    const reply = await unary(clusterService(ops), 'MemberUpdate')({ ID: '10276657743932975437', peerURLs: ['http://127.0.0.1:2480'] });
    expect(ops.calls).toEqual([{ op: 'memberUpdate', args: { memberId: '8e9e05c52164694d', peerUrls: ['http://127.0.0.1:2480'] } }]);
    expect(reply).toMatchObject({ members: [{ ID: '10276657743932975437', peerURLs: ['http://127.0.0.1:2480'] }] });
    await expect(unary(clusterService(ops), 'MemberUpdate')({ ID: '10276657743932975437', peerURLs: 'http://x:1' })).rejects.toMatchObject({ code: 'InvalidArgument' });
  });

  it('MemberList is served from the member\'s own view unless linearizable is asked', async () => {
    const ops = fakeOps(async () => ({ members: [member] }));
    const list = unary(clusterService(ops), 'MemberList');
    await list({});
    await list({ linearizable: true });
    expect(ops.calls.map((c) => c.args)).toEqual([{ serializable: true }, { serializable: false }]);
  });
});

describe('Maintenance', () => {
  it('Alarm GET lists, DEACTIVATE disarms and ACTIVATE arms one member\'s alarm; naming none changes nothing', async () => {
    const ops = fakeOps(async () => ({ alarms: [{ memberId: '8e9e05c52164694d', alarm: 'NOSPACE' }] }));
    const alarm = unary(maintenanceService(ops), 'Alarm');
    expect(await alarm({ action: 'GET', memberID: '0', alarm: 'NONE' })).toEqual({ header: HEADER, alarms: [{ memberID: '10276657743932975437', alarm: 'NOSPACE' }] });
    await alarm({ action: 'DEACTIVATE', memberID: '10276657743932975437', alarm: 'NOSPACE' });
    expect(await alarm({ action: 'DEACTIVATE', memberID: '0', alarm: 'NONE' })).toEqual({ header: HEADER, alarms: [] });
    await alarm({ action: 'ACTIVATE', memberID: '10276657743932975437', alarm: 'CORRUPT' });
    expect(await alarm({ action: 'ACTIVATE', memberID: '10276657743932975437', alarm: 'NONE' })).toEqual({ header: HEADER, alarms: [] });
    expect(ops.calls.map((c) => c.args)).toEqual([
      { action: 'list' },
      { action: 'disarm', memberId: '8e9e05c52164694d', alarm: 'NOSPACE' },
      { action: 'activate', memberId: '8e9e05c52164694d', alarm: 'CORRUPT' },
    ]);
  });

  it('Status maps the member status to etcd\'s fields', async () => {
    const ops = fakeOps(async () => ({ version: '0.1.0', dbSize: 4096, leader: null, raftIndex: 9, raftTerm: 2, raftAppliedIndex: 8, isLearner: false, errors: ['NOSPACE'] }));
    expect(await unary(maintenanceService(ops), 'Status')({})).toMatchObject({
      dbSize: '4096', dbSizeInUse: '4096', leader: '0', raftIndex: '9', raftTerm: '2', raftAppliedIndex: '8', isLearner: false,
      errors: ['etcdserver: no leader', 'alarm:NOSPACE'],
    });
  });

  it('Snapshot streams the file in bounded blobs whose remaining_bytes ends at 0', async () => {
    const pieces = [new Uint8Array(SNAPSHOT_BLOB_BYTES_MAX * 2 + 5).fill(1), new Uint8Array(100).fill(2), new Uint8Array(36).fill(3)];
    let canceled = 0;
    const ops = fakeOps(async () => ({}), () => ({
      chunks: (async function* () {
        yield* pieces;
      })(),
      cancel: () => canceled++,
    }));
    const c = collector(Number.MAX_SAFE_INTEGER);
    const stream = maintenanceService(ops).streams?.['Snapshot']?.(ctx, c.send, c.end);
    stream?.write({});
    await c.done;
    expect(c.ended()).toEqual({ err: undefined });
    const blobs = c.sent.map((r) => r['blob'] as Buffer);
    expect(blobs.every((b) => b.byteLength <= SNAPSHOT_BLOB_BYTES_MAX)).toBe(true);
    expect(Buffer.concat(blobs)).toEqual(Buffer.concat(pieces));
    const remaining = c.sent.map((r) => Number(r['remaining_bytes']));
    expect(remaining[remaining.length - 1]).toBe(0);
    // Never more than what really follows (a lower bound), and never growing.
    let after = Buffer.concat(pieces).byteLength;
    for (const [i, b] of blobs.entries()) {
      after -= b.byteLength;
      expect(remaining[i]).toBeLessThanOrEqual(after);
    }
    expect(canceled).toBe(0);
  });

  it('Snapshot waits for the transport to drain before it sends more (one blob past the mark)', async () => {
    const ops = fakeOps(async () => ({}), () => ({
      chunks: (async function* () {
        yield new Uint8Array(SNAPSHOT_BLOB_BYTES_MAX * 4);
      })(),
      cancel: () => undefined,
    }));
    let full = true;
    const c = collector(Number.MAX_SAFE_INTEGER, () => !full);
    const stream = maintenanceService(ops).streams?.['Snapshot']?.(ctx, c.send, c.end);
    if (stream === undefined) throw new Error('no Snapshot stream');
    stream.write({});
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(c.sent).toHaveLength(1);
    full = false;
    stream.drained?.();
    await c.done;
    expect(c.sent).toHaveLength(4);
    expect(c.ended()).toEqual({ err: undefined });
  });

  it('Snapshot refused by the authorization point ends the stream with that error', async () => {
    const ops = fakeOps(async () => ({}), () => {
      throw new KiteError('PermissionDenied', 'user u may not snapshot (root only)');
    });
    const c = collector(1);
    maintenanceService(ops).streams?.['Snapshot']?.(ctx, c.send, c.end).write({});
    expect((c.ended()?.err as KiteError).code).toBe('PermissionDenied');
  });
});

describe('Auth', () => {
  it("maps etcd's permissions to Kite's and back", () => {
    const p = kitePermission({ permType: 'READWRITE', key: Buffer.from('a/'), range_end: Buffer.from('a0') });
    expect(p).toEqual({ type: 'readwrite', key: Buffer.from('a/'), rangeEnd: Buffer.from('a0') });
    expect(etcdPermission(p)).toEqual({ permType: 'READWRITE', key: Buffer.from('a/'), range_end: Buffer.from('a0') });
    expect(kitePermission({ permType: 'READ', key: Buffer.from('k'), range_end: Buffer.alloc(0) })).toEqual({ type: 'read', key: Buffer.from('k') });
  });

  it("answers Kite's auth refusals with etcd's errors (etcdctl's auth enable depends on the root-role one)", async () => {
    const ops = fakeOps(async (op) => {
      if (op === 'authEnable') throw new KiteError('InvalidArgument', 'auth cannot be enabled: the user root lacks the role root (kite user grant-role root root)');
      if (op === 'userGet') throw new KiteError('InvalidArgument', 'user bob does not exist');
      if (op === 'authenticate') throw new KiteError('Unauthenticated', 'authentication failed: invalid user name or password');
      return {};
    });
    const svc = authService(ops);
    await expect(unary(svc, 'AuthEnable')({})).rejects.toEqual(new EtcdError('FAILED_PRECONDITION', 'etcdserver: root user does not have root role'));
    await expect(unary(svc, 'UserGet')({ name: 'bob' })).rejects.toEqual(new EtcdError('FAILED_PRECONDITION', 'etcdserver: user name not found'));
    await expect(unary(svc, 'Authenticate')({ name: 'bob', password: 'x' })).rejects.toEqual(
      new EtcdError('INVALID_ARGUMENT', 'etcdserver: authentication failed, invalid user ID or password'),
    );
    await expect(unary(svc, 'UserAdd')({ name: '', password: 'x' })).rejects.toEqual(new EtcdError('INVALID_ARGUMENT', 'etcdserver: user name is empty'));
  });

  it('maps the request fields etcd names differently per message', async () => {
    const ops = fakeOps(async () => ({}));
    const svc = authService(ops);
    await unary(svc, 'UserGrantRole')({ user: 'u', role: 'r' });
    await unary(svc, 'UserRevokeRole')({ name: 'u', role: 'r' });
    await unary(svc, 'RoleDelete')({ role: 'r' });
    await unary(svc, 'RoleRevokePermission')({ role: 'r', key: 'k', range_end: Buffer.alloc(0) });
    await unary(svc, 'UserAdd')({ name: 'c', options: { no_password: true } });
    expect(ops.calls.map((c) => [c.op, c.args])).toEqual([
      ['userGrantRole', { name: 'u', role: 'r' }],
      ['userRevokeRole', { name: 'u', role: 'r' }],
      ['roleDelete', { name: 'r' }],
      ['roleRevokePermission', { name: 'r', key: Buffer.from('k') }],
      ['userAdd', { name: 'c', noPassword: true }],
    ]);
  });
});
