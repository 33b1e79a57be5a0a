// The etcd door is no back door: TLS with client-certificate auth exactly as the client port
// (etcdctl with the cluster's CA and a client certificate works, without a certificate it
// does not), and with auth enabled every gRPC call runs as the user its metadata token names,
// through the same authorization point as the WebSocket door (forwarded writes included).
// Bad input (an unknown method, bytes that are no protobuf) gets a gRPC error, never a crash.
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, type KiteClient } from '@kite/client';
import { issueMemberCert, writeDevCerts } from '../../jepsen-lite/src/cluster/dev-certs.js';
import { Cluster, waitFor } from './harness/cluster.js';
import { EtcdGrpc, type Msg } from './harness/etcd-grpc.js';
import { etcdctl, etcdctlOk } from './harness/etcdctl.js';
import { WireClient, ok } from './harness/wire.js';

const buf = (s: string): Buffer => Buffer.from(s);
/** The bad-input cluster's --max-connection-response-bytes. */
const CONNECTION_REPLY_BYTES_MAX = 8192;

describe('the etcd door under TLS, auth and bad input', () => {
  let cluster: Cluster | undefined;
  let certDir: string | undefined;
  const closers: (() => void)[] = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) c();
    await cluster?.stop();
    cluster = undefined;
    if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
    certDir = undefined;
  });

  it('serves etcdctl over TLS with a client certificate and refuses a client without one', async () => {
    certDir = mkdtempSync(path.join(tmpdir(), 'kite-etcd-tls-'));
    const certs = await writeDevCerts(certDir, ['n1', 'n2', 'n3']);
    cluster = await Cluster.create({ size: 3, tls: certs });
    await cluster.startAll();
    await cluster.leader();
    expect(cluster.grpcUrls.every((u) => u.startsWith('https://'))).toBe(true);
    const tls = { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
    expect(await etcdctlOk(cluster.grpcUrls, ['put', '/tls/k', 'v'], { tls })).toBe('OK\n');
    expect(await etcdctlOk(cluster.grpcUrls, ['get', '/tls/k', '--print-value-only'], { tls })).toBe('v\n');
    const anonymous = new EtcdGrpc(cluster.grpcUrl('n1'), { tls: { caFile: certs.caFile } });
    closers.push(() => anonymous.close());
    const refused = await anonymous.failure('KV', 'Range', { key: buf('/tls/k') });
    expect(refused.code).toBe(status.UNAVAILABLE);
    const plain = await etcdctl([cluster.grpcUrl('n1').replace('https://', 'http://')], ['get', '/tls/k'], { timeoutMs: 20_000 });
    expect(plain.code).not.toBe(0);

    // A certificate rotated on disk is what new connections see, without a restart.
    const own = certs.members.get('n1')!;
    const port = cluster.member('n1').grpcPort;
    const fingerprint = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(certs.caFile), cert: readFileSync(certs.clientCertFile), key: readFileSync(certs.clientKeyFile), servername: 'localhost', ALPNProtocols: ['h2'] }, () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.destroy();
        });
        s.on('error', reject);
      });
    const before = await fingerprint();
    const next = await issueMemberCert(certs.ca, 'n1');
    writeFileSync(own.keyFile, next.keyPem);
    writeFileSync(own.certFile, next.certPem);
    await waitFor('the rotated certificate on the etcd door', 15_000, async () => ((await fingerprint()) !== before ? true : undefined));
    expect(await etcdctlOk([cluster.grpcUrl('n1')], ['get', '/tls/k', '--print-value-only'], { tls })).toBe('v\n');
  });

  it('runs each call as the user its token names, through the one authorization point', async () => {
    cluster = await Cluster.create({ size: 3 });
    await cluster.startAll();
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m.name !== leader)!.name;
    const admin: KiteClient = await connect({ endpoints: cluster.endpoints, timeoutMs: 8000 });
    closers.push(() => admin.close());
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('app1');
    await admin.auth.roleGrantPermission('app1', 'readwrite', '/app1/', { prefix: true });
    await admin.auth.userAdd('alice', 'alicepw');
    await admin.auth.userGrantRole('alice', 'app1');
    await admin.put('/app2/secret', 's');
    await admin.auth.enable();

    // A simple token lives on the member that issued it: log in and call on the same member.
    const wire = await WireClient.connect(cluster.clientUrl(follower));
    closers.push(() => wire.close());
    const token = ok(await wire.request('authenticate', { name: 'alice', password: 'alicepw' })).token as string;
    const alice = new EtcdGrpc(cluster.grpcUrl(follower), { token });
    const anon = new EtcdGrpc(cluster.grpcUrl(follower));
    const forged = new EtcdGrpc(cluster.grpcUrl(follower), { token: `${token}x` });
    closers.push(() => alice.close(), () => anon.close(), () => forged.close());

    await alice.call('KV', 'Put', { key: buf('/app1/k'), value: buf('v') });
    expect(((await alice.call('KV', 'Range', { key: buf('/app1/k') }))['kvs'] as Msg[]).length).toBe(1);
    const denied = await alice.failure('KV', 'Range', { key: buf('/app2/secret') });
    expect([denied.code, denied.details]).toEqual([status.PERMISSION_DENIED, 'etcdserver: permission denied']);
    const deniedWrite = await alice.failure('KV', 'Put', { key: buf('/app2/secret'), value: buf('x') });
    expect(deniedWrite.details).toBe('etcdserver: permission denied');
    const noUser = await anon.failure('KV', 'Range', { key: buf('/app1/k') });
    expect([noUser.code, noUser.details]).toEqual([status.INVALID_ARGUMENT, 'etcdserver: user name is empty']);
    const bad = await forged.failure('KV', 'Range', { key: buf('/app1/k') });
    expect([bad.code, bad.details]).toEqual([status.UNAUTHENTICATED, 'etcdserver: invalid auth token']);

    const stream = alice.stream('Watch', 'Watch');
    const got: Msg[] = [];
    stream.on('data', (m: Msg) => got.push(m));
    stream.on('error', () => undefined);
    closers.push(() => stream.end());
    stream.write({ create_request: { key: buf('/app2/secret'), watch_id: '3' } });
    const deadline = performance.now() + 10_000;
    while (got.length === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(got[0]).toMatchObject({ watch_id: '3', created: true, canceled: true, cancel_reason: 'etcdserver: permission denied' });
  });

  it('answers an unknown method and bytes that are no protobuf with gRPC errors, and keeps serving', async () => {
    cluster = await Cluster.create({ size: 1, flags: ['--max-connection-response-bytes', String(CONNECTION_REPLY_BYTES_MAX)] });
    await cluster.startAll();
    const g = new EtcdGrpc(cluster.grpcUrl('n1'));
    closers.push(() => g.close());
    const raw = g.raw('KV');
    const call = (method: string, bytes: Buffer): Promise<ServiceError | null> =>
      new Promise((resolve) => {
        raw.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bytes, (err) => resolve(err ?? null));
      });
    const unknown = await call('/etcdserverpb.KV/Nope', Buffer.alloc(0));
    expect(unknown?.code).toBe(status.UNIMPLEMENTED);
    const garbage = await call('/etcdserverpb.KV/Range', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(garbage?.code).toBe(status.INTERNAL);
    expect(garbage?.details).toMatch(/deserializ/i);
    await g.call('KV', 'Put', { key: buf('/still'), value: buf('up') });
    expect(await etcdctlOk(cluster.grpcUrls, ['get', '/still', '--print-value-only'])).toBe('up\n');

    // A read whose reply passes the connection's reply budget is refused; the budget is released.
    for (let i = 0; i < 4; i++) await g.call('KV', 'Put', { key: buf(`/big/${i}`), value: Buffer.alloc(CONNECTION_REPLY_BYTES_MAX / 2) });
    const tooBig = await g.failure('KV', 'Range', { key: buf('/big/'), range_end: buf('/big0') });
    expect(tooBig.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(tooBig.details).toMatch(/reply bytes in flight \(limit 8192\)/);
    expect(((await g.call('KV', 'Range', { key: buf('/big/0') }))['kvs'] as Msg[]).length).toBe(1);
  });
});
