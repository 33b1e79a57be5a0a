// TLS and mutual TLS on every link of a real 3-member cluster (certificates from
// writeDevCerts: one CA, members named by CN/SAN), and peers that cannot be impersonated:
// - the SDK (wss:// + CA + client certificate) and the CLI (--cacert --cert --key) are served;
// - a plaintext client, a client whose certificate another CA signed, and a peer whose
//   certificate another CA signed are refused with clear messages, and members keep serving;
// - a process holding a real member certificate (n_mid's) that claims another member's id on
//   the peer port is refused and logged with its address, whatever it sends after its hello: a
//   vote request at term 1001, a forwarded write, an attribute change (none takes effect);
// - a member, over its own authenticated link, cannot publish another member's attributes;
// - a certificate rotated on disk is what new connections see, without a restart;
// - a member listening for peers on a non-loopback address without peer TLS warns at start.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type KiteClient } from '@kite/client';
import { PEER_FRAME_BYTES_MAX, PEER_PROTOCOL_VERSION, decodeFrame, encodeFrame, type PeerFrame } from '@kite/protocol';
import { nodeSocketFactoryWith } from '../../packages/client/src/socket-node.js';
import { issueMemberCert, writeDevCerts, type DevCertFiles } from '../../jepsen-lite/src/cluster/dev-certs.js';
import { Cluster, waitFor, type MemberStatus } from './harness/cluster.js';
import { freePorts } from '../../jepsen-lite/src/cluster/ports.js';

const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const run = promisify(execFile);
/** peer-transport.ts CLOSE_WRONG_CERTIFICATE, as the client socket adapter reports it. */
const CLOSED_WRONG_CERTIFICATE = 'socket closed (4006)';

const pem = (file: string): Buffer => readFileSync(file);

function clientTls(files: DevCertFiles, ca: DevCertFiles = files): { ca: Buffer; cert: Buffer; key: Buffer } {
  return { ca: pem(ca.caFile), cert: pem(files.clientCertFile), key: pem(files.clientKeyFile) };
}

/**
 * Opens a wss peer link to `port` with `certName`'s certificate of `files`, sends `frames` once
 * open, and resolves with why the link closed (the socket adapter's reason).
 */
function forgePeerLink(port: number, files: DevCertFiles, certName: string, ca: DevCertFiles, frames: readonly PeerFrame[]): Promise<string> {
  const own = files.members.get(certName);
  if (own === undefined) throw new Error(`no certificate for ${certName}`);
  const factory = nodeSocketFactoryWith({ ca: pem(ca.caFile), cert: pem(own.certFile), key: pem(own.keyFile) });
  return new Promise((resolve) => {
    const socket = factory(`wss://127.0.0.1:${port}/raft`, { maxPayloadBytes: 1 << 20, handshakeTimeoutMs: 5000 }, {
      onOpen: () => {
        for (const f of frames) socket.send(encodeFrame(f, 1 << 20));
      },
      onMessage: () => undefined,
      onClose: (reason) => resolve(reason),
    });
    setTimeout(() => socket.close(), 10_000).unref();
  });
}

/** Like forgePeerLink, but resolves with the first forwardReply the member sends back. */
function peerLinkReply(port: number, files: DevCertFiles, certName: string, frames: readonly PeerFrame[]): Promise<Record<string, unknown>> {
  const own = files.members.get(certName);
  if (own === undefined) throw new Error(`no certificate for ${certName}`);
  const factory = nodeSocketFactoryWith({ ca: pem(files.caFile), cert: pem(own.certFile), key: pem(own.keyFile) });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no forwardReply within 10 s')), 10_000);
    const socket = factory(`wss://127.0.0.1:${port}/raft`, { maxPayloadBytes: PEER_FRAME_BYTES_MAX, handshakeTimeoutMs: 5000 }, {
      onOpen: () => {
        for (const f of frames) socket.send(encodeFrame(f, 1 << 20));
      },
      onMessage: (data) => {
        const frame = decodeFrame(data, PEER_FRAME_BYTES_MAX) as Record<string, unknown>;
        if (frame['type'] !== 'forwardReply') return;
        clearTimeout(timer);
        resolve(frame);
        socket.close();
      },
      onClose: (reason) => reject(new Error(`link closed: ${reason}`)),
    });
  });
}

describe('a cluster with TLS on every link', () => {
  let dir = '';
  let certs: DevCertFiles;
  let otherCa: DevCertFiles;
  let cluster: Cluster;
  let client: KiteClient;
  /** Members sorted by id: a member accepts links only from members with smaller ids. */
  let byId: MemberStatus[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'kite-tls-'));
    certs = await writeDevCerts(path.join(dir, 'ca'), ['n1', 'n2', 'n3']);
    otherCa = await writeDevCerts(path.join(dir, 'other'), ['n1', 'n2', 'n3'], 'another-ca');
    cluster = await Cluster.create({ size: 3, tls: certs });
    await cluster.startAll();
    client = await connect({ endpoints: cluster.endpoints, tls: clientTls(certs) });
    byId = (await Promise.all(['n1', 'n2', 'n3'].map((n) => cluster.status(n)))).sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the SDK over wss:// with a client certificate', async () => {
    await client.put('tls/sdk', 'yes');
    const got = await client.get('tls/sdk');
    expect(got.kvs.map((kv) => Buffer.from(kv.value).toString())).toEqual(['yes']);
  });

  it('serves the CLI with --cacert --cert --key', async () => {
    const tlsFlags = ['--endpoints', cluster.endpoints.join(','), '--cacert', certs.caFile, '--cert', certs.clientCertFile, '--key', certs.clientKeyFile];
    await run(process.execPath, [CLI_MAIN, 'put', 'tls/cli', 'from-cli', ...tlsFlags]);
    const out = await run(process.execPath, [CLI_MAIN, 'get', 'tls/cli', ...tlsFlags]);
    expect(out.stdout).toContain('from-cli');
  });

  it('refuses a plaintext client with a clear message and keeps serving', async () => {
    const plain = `ws://127.0.0.1:${cluster.member('n1').clientPort}`;
    await expect(connect({ endpoints: [plain], dialTimeoutMs: 3000 })).rejects.toThrow(/426.*requires TLS/);
    await waitFor('the refusal in n1\'s log', 5000, () => (cluster.log('n1').includes('plaintext connection on a TLS port refused') ? true : undefined));
    await cluster.logMatching('n1', /"remote":"127\.0\.0\.1:\d+".*plaintext connection on a TLS port refused|plaintext connection on a TLS port refused.*"remote":"127\.0\.0\.1:\d+"/);
    await client.put('tls/after-plain', 'ok');
  });

  it('refuses a client whose certificate another CA signed, and a client that does not trust the members', async () => {
    const n2 = [cluster.clientUrl('n2')];
    await expect(connect({ endpoints: n2, dialTimeoutMs: 3000, tls: clientTls(otherCa, certs) })).rejects.toThrow(/HTTP 401: .*certificate refused: not signed by the client port's trusted CA/);
    await cluster.logMatching('n2', /"door":"client","remote":"127\.0\.0\.1:\d+".*TLS certificate refused: not signed by the client port's trusted CA/);
    await expect(connect({ endpoints: n2, dialTimeoutMs: 3000, tls: { ca: pem(certs.caFile) } })).rejects.toThrow(/HTTP 401: .*client certificate .* is required/);
    await expect(connect({ endpoints: n2, dialTimeoutMs: 3000, tls: clientTls(certs, otherCa) })).rejects.toThrow(/certificate is not trusted.*--cacert/);
    await client.put('tls/after-other-ca', 'ok');
  });

  it('refuses a peer whose certificate another CA signed', async () => {
    const target = byId[2] as MemberStatus;
    const claimed = byId[0] as MemberStatus;
    const hello: PeerFrame = { type: 'hello', clusterId: 'x', memberId: claimed.memberId, version: PEER_PROTOCOL_VERSION };
    const reason = await forgePeerLink(cluster.member(target.name).peerPort, otherCa, claimed.name, certs, [hello]);
    expect(reason).toMatch(/HTTP 401: .*peer port refused the connection: certificate refused: not signed by the peer port's trusted CA/);
    await cluster.logMatching(target.name, /"door":"peer","remote":"127\.0\.0\.1:\d+".*TLS certificate refused/);
    await client.put('tls/after-other-ca-peer', 'ok');
  });

  describe('a process with a real member certificate claiming another member id on the peer port', () => {
    const cases: readonly { what: string; frames: (from: string, to: string) => PeerFrame[] }[] = [
      { what: 'hello alone (impersonation)', frames: () => [] },
      {
        what: 'a vote request at term 1001',
        frames: (from, to) => [{ type: 'raft', messages: [{ type: 'requestVote', from, to, term: 1001, preVote: false, lastLogIndex: 1_000_000, lastLogTerm: 1000, transfer: true }] }],
      },
      {
        what: 'a forwarded write',
        frames: () => [{ type: 'forward', fwdId: 1, request: { id: 1, op: 'put', key: Buffer.from('tls/forged'), value: Buffer.from('evil') } } as unknown as PeerFrame],
      },
      {
        what: 'an attribute change',
        frames: (from) => [{ type: 'forward', fwdId: 2, request: { id: 2, op: 'publishAttributes', attrs: { memberId: from, name: 'evil', clientUrls: ['ws://evil.example:1'] } } } as unknown as PeerFrame],
      },
    ];
    for (const c of cases) {
      it(`is refused and logged with its address: ${c.what}`, async () => {
        const claimed = byId[0] as MemberStatus;
        const holder = byId[1] as MemberStatus;
        const target = byId[2] as MemberStatus;
        const clusterId = (JSON.parse((await cluster.get(`${cluster.httpUrl(target.name)}/status`)).body) as { clusterId: string }).clusterId;
        const termBefore = (await cluster.status(target.name)).term;
        const hello: PeerFrame = { type: 'hello', clusterId, memberId: claimed.memberId, version: PEER_PROTOCOL_VERSION };
        const reason = await forgePeerLink(cluster.member(target.name).peerPort, certs, holder.name, certs, [hello, ...c.frames(claimed.memberId, target.memberId)]);
        expect(reason).toBe(CLOSED_WRONG_CERTIFICATE);
        await cluster.logMatching(target.name, new RegExp(`"remote":"127\\.0\\.0\\.1:\\d+","claimed":"${claimed.memberId}".*its certificate is not the member it claims to be`));
        // Nothing the forged link sent took effect.
        await client.put('tls/after-forgery', c.what);
        const st = await cluster.status(target.name);
        expect(st.term).toBeLessThan(1001);
        expect(st.term).toBe(termBefore);
        expect((await client.get('tls/forged')).kvs).toEqual([]);
        const { members } = await client.members.list();
        const victim = members.find((m) => m.id === claimed.memberId);
        expect(victim?.name).toBe(claimed.name);
        expect(victim?.clientUrls.join()).not.toContain('evil');
      });
    }
  });

  it('lets a member publish only its own attributes, even over its own authenticated link', async () => {
    const holder = byId[1] as MemberStatus;
    const victim = byId[0] as MemberStatus;
    const target = byId[2] as MemberStatus;
    const { clusterId } = JSON.parse((await cluster.get(`${cluster.httpUrl(target.name)}/status`)).body) as { clusterId: string };
    const reply = await peerLinkReply(cluster.member(target.name).peerPort, certs, holder.name, [
      { type: 'hello', clusterId, memberId: holder.memberId, version: PEER_PROTOCOL_VERSION },
      { type: 'forward', fwdId: 7, request: { id: 7, op: 'publishAttributes', attrs: { memberId: victim.memberId, name: 'evil', clientUrls: ['ws://evil.example:1'] } } } as unknown as PeerFrame,
    ]);
    expect(reply['reply']).toMatchObject({ ok: false, error: { code: 'PermissionDenied' } });
    await client.put('tls/after-publish', 'ok');
    const { members } = await client.members.list();
    expect(members.find((m) => m.id === victim.memberId)?.clientUrls.join()).not.toContain('evil');
  });

  it('serves a rotated certificate to new connections without a restart', async () => {
    const n3 = cluster.member('n3');
    const own = certs.members.get('n3');
    if (own === undefined) throw new Error('no n3 certificate');
    const fingerprint = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const s = tlsConnect({ host: '127.0.0.1', port: n3.clientPort, ca: pem(certs.caFile), cert: pem(certs.clientCertFile), key: pem(certs.clientKeyFile), servername: 'localhost' }, () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.destroy();
        });
        s.on('error', reject);
      });
    const before = await fingerprint();
    const next = await issueMemberCert(certs.ca, 'n3');
    // Key first, then certificate: in between the pair does not match and is not taken.
    writeFileSync(own.keyFile, next.keyPem);
    writeFileSync(own.certFile, next.certPem);
    const after = await waitFor('the rotated certificate on new connections', 15_000, async () => {
      const fp = await fingerprint();
      return fp !== before ? fp : undefined;
    });
    expect(after).not.toBe(before);
    // Open links kept working throughout, and new ones still pass mTLS.
    await client.put('tls/after-rotation', 'ok');
    const fresh = await connect({ endpoints: [cluster.clientUrl('n3')], tls: clientTls(certs) });
    expect((await fresh.get('tls/after-rotation')).kvs).toHaveLength(1);
    fresh.close();
  }, 30_000);
});

describe('a member without peer TLS', () => {
  it('warns at start when its peer port listens on a non-loopback address', async () => {
    const c = await Cluster.create({ size: 1 });
    try {
      const [port] = await freePorts(1);
      c.start('n1', ['--listen-peer', `http://0.0.0.0:${port}`, '--advertise-peer', `http://127.0.0.1:${port}`, '--initial-cluster', `n1=http://127.0.0.1:${port}`]);
      await c.waitHealthy('n1');
      expect(c.log('n1')).toContain('peer port listens on a non-loopback address without TLS');
    } finally {
      await c.stop();
    }
  });

  it('does not warn on loopback', async () => {
    const c = await Cluster.create({ size: 1 });
    try {
      await c.startAll();
      expect(c.log('n1')).not.toContain('without TLS');
    } finally {
      await c.stop();
    }
  });
});
