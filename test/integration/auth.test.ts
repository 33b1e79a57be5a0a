// Authentication and authorization end to end on a real 3-member cluster: a user with
// readwrite on /app1/ can do everything there and nothing under /app2/ (range, put, delete,
// txn compares and both branches, watch, lease-attached keys, history reads); revoking the
// permission cancels the user's open watch with PermissionDenied; a changed password
// invalidates the old login; root-only ops are refused to others; repeated wrong passwords
// are throttled with a retry time; and all of it survives a leader kill and a full restart.
// With TLS: a client certificate's CN is the user when the link does not log in (etcd's
// mTLS identity), and a JWT issued by one member logs in on another.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeDevCerts } from '../../jepsen-lite/src/cluster/dev-certs.js';
import { Cmp, Op, connect, isKiteError, type KiteClient } from '@kite/client';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, str } from './harness/wire.js';

const TICK_MS = 20;

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(() => null, (e: unknown) => e);
  if (!isKiteError(err, code as never)) throw new Error(`expected ${code}, got ${err === null ? 'success' : String((err as Error).message)}`);
}

describe('auth', () => {
  let cluster: Cluster | undefined;
  const clients: KiteClient[] = [];
  const wires: WireClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    for (const w of wires.splice(0)) w.close();
    await cluster?.stop();
    cluster = undefined;
  });

  const endpoints = (): string[] => cluster!.members.map((m) => cluster!.clientUrl(m.name));
  async function client(auth?: { user: string; password: string }, urls = endpoints()): Promise<KiteClient> {
    const c = await connect({ endpoints: urls, timeoutMs: 8000, preferLeader: false, ...(auth ? { auth } : {}) });
    clients.push(c);
    return c;
  }

  /** root, role app1 (readwrite on /app1/), user alice with app1, auth enabled. */
  async function setUp(): Promise<{ root: KiteClient; alice: KiteClient; follower: string }> {
    cluster = await Cluster.create({ size: 3, tickMs: TICK_MS });
    await cluster.startAll();
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m.name !== leader)!.name;
    const admin = await client();
    await expectCode(admin.auth.enable(), 'InvalidArgument'); // no root yet
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('app1');
    await admin.auth.roleGrantPermission('app1', 'readwrite', '/app1/', { prefix: true });
    await admin.auth.userAdd('alice', 'alicepw');
    await admin.auth.userGrantRole('alice', 'app1');
    await admin.put('/app2/secret', 'v0');
    const before = (await admin.auth.status()).authRevision;
    await admin.auth.enable();
    const st = await admin.request('authStatus', {}).catch((e: unknown) => e);
    expect(isKiteError(st, 'Unauthenticated') || (st as { enabled?: boolean }).enabled === true).toBe(true);
    const root = await client({ user: 'root', password: 'rootpw' });
    const status = await root.auth.status();
    expect(status.enabled).toBe(true);
    expect(status.authRevision).toBe(before + 1);
    expect(status.header.authRevision).toBe(before + 1);
    // alice talks to a follower only: every write she makes is forwarded with her identity.
    const alice = await client({ user: 'alice', password: 'alicepw' }, [cluster.clientUrl(follower)]);
    return { root, alice, follower };
  }

  it('confines a /app1/ user to /app1/ in every op, and refuses root-only ops', async () => {
    const { root, alice } = await setUp();
    const anon = await client();
    await expectCode(anon.put('/app1/x', 'v'), 'Unauthenticated');
    await expectCode(anon.get('/app1/x'), 'Unauthenticated');

    // Everything under /app1/.
    const put = await alice.put('/app1/a', '1');
    expect(put.header.authRevision).toBeGreaterThan(0);
    expect((await alice.get('/app1/a')).kvs).toHaveLength(1);
    expect((await alice.get('/app1/', { prefix: true })).count).toBe(1);
    const t = await alice.txn({ compare: [Cmp.value('/app1/a', '=', '1')], success: [Op.put('/app1/b', '2')], failure: [Op.get('/app1/a')] });
    expect(t.succeeded).toBe(true);
    expect((await alice.delete('/app1/b')).deleted).toBe(1);
    const lease = await alice.lease.grant(30);
    await alice.put('/app1/leased', 'x', { lease: lease.id });
    await alice.lease.revoke(lease.id);
    expect((await alice.get('/app1/leased')).count).toBe(0);

    // Nothing under /app2/.
    await expectCode(alice.put('/app2/x', 'v'), 'PermissionDenied');
    await expectCode(alice.get('/app2/secret'), 'PermissionDenied');
    await expectCode(alice.get('/app2/secret', { revision: 1 }), 'PermissionDenied'); // history reads
    await expectCode(alice.get('/app', { prefix: true }), 'PermissionDenied'); // a range reaching past /app1/
    await expectCode(alice.delete('/app2/', { prefix: true }), 'PermissionDenied');
    await expectCode(alice.txn({ compare: [Cmp.version('/app2/secret', '>', 0)] }), 'PermissionDenied');
    // The branch not taken is checked too.
    await expectCode(alice.txn({ success: [Op.put('/app1/ok', '1')], failure: [Op.delete('/app2/secret')] }), 'PermissionDenied');
    await expectCode(alice.txn({ success: [Op.txn({ success: [Op.get('/app2/secret')] })] }), 'PermissionDenied');
    const w = alice.watch('/app2/', { prefix: true });
    await expectCode((async () => { for await (const _ of w) break; })(), 'PermissionDenied');
    // A lease holding a key she cannot write: neither revoke nor inspect it.
    const rootLease = await root.lease.grant(60);
    await root.put('/app2/leased', 'x', { lease: rootLease.id });
    await expectCode(alice.request('leaseRevoke', { leaseId: rootLease.id }), 'PermissionDenied');
    await expectCode(alice.request('leaseTimeToLive', { leaseId: rootLease.id, keys: true }), 'PermissionDenied');
    expect((await root.get('/app2/leased')).count).toBe(1);
    expect(str((await root.get('/app2/secret')).kvs[0]!.value)).toBe('v0');

    // Root-only ops.
    const rev = (await alice.get('/app1/a')).header.revision;
    await expectCode(alice.compact(rev), 'PermissionDenied');
    await expectCode(alice.auth.userAdd('mallory', 'x'), 'PermissionDenied');
    await expectCode(alice.auth.roleGrantPermission('app1', 'readwrite', '/', { prefix: true }), 'PermissionDenied');
    await expectCode(alice.auth.disable(), 'PermissionDenied');
    await expectCode(alice.auth.userList(), 'PermissionDenied');
    await expectCode(alice.request('alarm', { action: 'disarm' }), 'PermissionDenied');
    await expectCode(alice.request('hash', {}), 'PermissionDenied');
    await expectCode(alice.request('moveLeader', { targetId: 'x' }), 'PermissionDenied');
    await expectCode(alice.request('memberRemove', { memberId: 'x' }), 'PermissionDenied');
    await expectCode(alice.request('defrag', {}), 'PermissionDenied');
    // A backup is every key: root only, through the same authorization point.
    await expectCode((async () => { for await (const _ of alice.snapshot()) break; })(), 'PermissionDenied');
    let rootChunks = 0;
    for await (const chunk of root.snapshot()) rootChunks += chunk.byteLength > 0 ? 1 : 0;
    expect(rootChunks).toBeGreaterThan(0);
    expect((await alice.auth.userGet('alice')).roles).toEqual(['app1']);
    await root.compact(rev);
    expect((await root.auth.userList()).users).toEqual(['alice', 'root']);
  });

  it('cancels an open watch when its permission is revoked, and a changed password ends old logins', async () => {
    const { root, alice } = await setUp();
    const watch = alice.watch('/app1/', { prefix: true });
    const events: string[] = [];
    const done = (async () => {
      for await (const batch of watch) for (const e of batch.events) events.push(new TextDecoder().decode(e.kv.key));
    })().then(() => null, (e: unknown) => e);
    await root.put('/app1/w1', 'x');
    await waitFor('first watch event', 10_000, () => (events.length === 1 ? true : undefined));
    let ended: { err: unknown } | undefined;
    void done.then((err) => (ended = { err }));
    await root.auth.roleRevokePermission('app1', '/app1/', { prefix: true });
    const { err } = await waitFor('the watch to be canceled', 10_000, () => ended);
    expect(isKiteError(err, 'PermissionDenied')).toBe(true);
    await expectCode(alice.put('/app1/w2', 'x'), 'PermissionDenied');
    await root.auth.roleGrantPermission('app1', 'readwrite', '/app1/', { prefix: true });
    await alice.put('/app1/w3', 'x');

    // The password changes: the old login is invalid; logging in again with the old one fails.
    await root.auth.userChangePassword('alice', 'newpw');
    await expectCode(alice.put('/app1/w4', 'x'), 'Unauthenticated');
    const alice2 = await client({ user: 'alice', password: 'newpw' });
    await alice2.put('/app1/w4', 'x');
    // A raw link bound to the old login is told to log in again.
    const wire = await WireClient.connect(cluster!.clientUrl(cluster!.members[0]!.name));
    wires.push(wire);
    expect((await wire.request('authenticate', { name: 'alice', password: 'newpw' })).ok).toBe(true);
    await root.auth.userRevokeRole('alice', 'app1');
    const r = await wire.request('put', { key: b('/app1/w5'), value: b('x') });
    expect(!r.ok && r.error.code === 'Unauthenticated' && r.error.reauthenticate === true).toBe(true);
  });

  it('logs in again, unseen by the caller, when a role change invalidated the login (requests and new watches)', async () => {
    const { root, alice } = await setUp();
    await root.auth.roleAdd('extra');
    await root.auth.userGrantRole('alice', 'extra'); // alice's login is stale now; her password is not
    const from = (await root.get('/app1/')).header.revision + 1;
    const watch = alice.watch('/app1/', { prefix: true, startRevision: from });
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of watch) for (const e of batch.events) seen.push(new TextDecoder().decode(e.kv.key));
    })().catch((e: unknown) => seen.push(`error: ${(e as Error).message}`));
    await root.put('/app1/after-role-change', 'x');
    await waitFor('the watch to see the put', 10_000, () => (seen.length > 0 ? true : undefined));
    expect(seen).toEqual(['/app1/after-role-change']);
    await alice.put('/app1/by-alice', 'x');
    watch.cancel();
    await done;
  });

  it('throttles a user after repeated wrong passwords, with the retry time in the error', async () => {
    await setUp();
    const wire = await WireClient.connect(cluster!.clientUrl(cluster!.members[0]!.name));
    wires.push(wire);
    const codes: string[] = [];
    let retryAfterMs = 0;
    for (let i = 0; i < 20; i++) {
      const r = await wire.request('authenticate', { name: 'alice', password: `wrong${i}` });
      if (!r.ok) {
        codes.push(r.error.code);
        if (typeof r.error.retryAfterMs === 'number') retryAfterMs = r.error.retryAfterMs;
      }
    }
    expect(codes).toHaveLength(20);
    expect(new Set(codes)).toEqual(new Set(['Unauthenticated']));
    expect(retryAfterMs).toBeGreaterThan(0);
    // Even the right password waits until the retry time.
    const right = await wire.request('authenticate', { name: 'alice', password: 'alicepw' });
    expect(!right.ok && typeof right.error.retryAfterMs === 'number' && /retry in \d+ s/.test(right.error.message)).toBe(true);
    // The SDK surfaces it as a clear error at connect.
    const err = await connect({ endpoints: [cluster!.clientUrl(cluster!.members[0]!.name)], auth: { user: 'alice', password: 'alicepw' }, timeoutMs: 5000 }).then(() => null, (e: unknown) => e);
    expect(isKiteError(err, 'Unauthenticated') && /too many failed logins/.test((err as Error).message)).toBe(true);
  });

  it('keeps users, roles and the enabled flag across a leader kill and a full restart', async () => {
    const { alice } = await setUp();
    await alice.put('/app1/before', 'x');
    const leader = await cluster!.leader();
    await cluster!.kill(leader);
    cluster!.start(leader);
    await cluster!.leader(20_000);
    await alice.put('/app1/after-kill', 'x');
    await expectCode(alice.put('/app2/after-kill', 'x'), 'PermissionDenied');
    for (const m of cluster!.members) await cluster!.kill(m.name);
    await cluster!.startAll();
    await cluster!.leader(20_000);
    const anon = await client();
    await expectCode(anon.get('/app1/before'), 'Unauthenticated');
    const again = await client({ user: 'alice', password: 'alicepw' });
    expect((await again.get('/app1/', { prefix: true })).count).toBe(2);
    await expectCode(again.get('/app2/secret'), 'PermissionDenied');
    const root = await client({ user: 'root', password: 'rootpw' });
    expect((await root.auth.status()).enabled).toBe(true);
    expect((await root.auth.roleGet('app1')).permissions).toHaveLength(1);
    await root.auth.disable();
    expect((await anon.get('/app2/secret')).count).toBe(1);
  });

  it('with mTLS, the certificate CN is the user; a jwt token from one member works on another', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kite-auth-tls-'));
    try {
      const certs = await writeDevCerts(dir, ['n1', 'n2', 'n3']);
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeFileSync(path.join(dir, 'jwt.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writeFileSync(path.join(dir, 'jwt.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
      const jwt = `jwt,pub-key=${path.join(dir, 'jwt.pub')},priv-key=${path.join(dir, 'jwt.key')},sign-method=EdDSA`;
      cluster = await Cluster.create({ size: 3, tickMs: TICK_MS, tls: certs, flags: ['--auth-token', jwt] });
      await cluster.startAll();
      await cluster.leader();
      const tls = { ca: readFileSync(certs.caFile), cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile) };
      const tlsClient = async (auth?: { user: string; password: string }): Promise<KiteClient> => {
        const c = await connect({ endpoints: cluster!.endpoints, tls, timeoutMs: 8000, ...(auth ? { auth } : {}) });
        clients.push(c);
        return c;
      };
      const admin = await tlsClient();
      await admin.auth.userAdd('root', 'rootpw');
      await admin.auth.userGrantRole('root', 'root');
      await admin.auth.roleAdd('app1');
      await admin.auth.roleGrantPermission('app1', 'readwrite', '/app1/', { prefix: true });
      // The CN of the harness's client certificate; no password: a certificate is its only way in.
      await admin.auth.userAdd('kite-client', null);
      await admin.auth.userGrantRole('kite-client', 'app1');
      await admin.auth.enable();
      const byCert = await tlsClient();
      await byCert.put('/app1/cn', 'x');
      await expectCode(byCert.put('/app2/cn', 'x'), 'PermissionDenied');
      await expectCode(byCert.auth.userList(), 'PermissionDenied');
      const root = await tlsClient({ user: 'root', password: 'rootpw' });
      expect((await root.auth.userList()).users).toEqual(['kite-client', 'root']);

      // A token issued by n1 logs a raw link to n2 in without the password.
      const socketFactory = (await import('../../packages/client/src/socket-node.js')).nodeSocketFactoryWith(tls);
      const onN1 = await connect({ endpoints: [cluster.clientUrl('n1')], tls, auth: { user: 'root', password: 'rootpw' }, preferLeader: false, timeoutMs: 8000 });
      clients.push(onN1);
      const login = await onN1.request('authenticate', { name: 'root', password: 'rootpw' });
      const onN2 = await connect({ endpoints: [cluster.clientUrl('n2')], socketFactory, preferLeader: false, timeoutMs: 8000 });
      clients.push(onN2);
      // n2 sees the certificate's user until the link presents root's token.
      await expectCode(onN2.auth.userList(), 'PermissionDenied');
      await onN2.request('authenticate', { name: 'root', token: login.token });
      expect((await onN2.auth.userList()).users).toHaveLength(2);
      await expectCode(onN2.request('authenticate', { name: 'root', token: `${login.token.slice(0, -4)}AAAA` }), 'Unauthenticated');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
