// Bad input on the etcd gRPC door of a real 3-member Kite cluster, sent with raw grpc-js calls:
// malformed protobuf bytes, unknown services and methods, oversized messages, a watch stream
// flooded with creates, and 10,000 concurrent streams. Each gets a gRPC status (the same codes
// etcd's grpc-go server gives), never a crash or a hang, and after each the member still
// serves a put and a linearizable range and its process is still the one that started.

import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WATCHES_PER_CONNECTION_MAX } from '@kite/protocol';
import { Cluster, waitFor } from './harness/cluster.js';
import { EtcdGrpc, type Msg } from './harness/etcd-grpc.js';

/** One member takes all the abuse; it must keep serving. */
const TARGET = 'n1';
const STREAMS = 10_000;
/** Creates sent on one Watch stream in the flood case, and the door's per-stream bound (--max-watches-per-connection's default). */
const FLOOD_CREATES = 5_000;
const WATCHES_PER_STREAM = WATCHES_PER_CONNECTION_MAX;
/** Creates sent by a client that never reads: far more answers than the door may hold unsent. */
const UNREAD_FLOOD_CREATES = 100_000;
/** A seeded generator (mulberry32) so the random-bytes case is the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let cluster: Cluster;
let raw: Client;
let pid: number | undefined;
const clients: Client[] = [];
const doors: EtcdGrpc[] = [];

function grpcAddress(name: string): string {
  return new URL(cluster.grpcUrl(name)).host;
}

/** A client of the target member's door (its own connection), closed after the file. */
function door(): EtcdGrpc {
  const c = new EtcdGrpc(cluster.grpcUrl(TARGET));
  doors.push(c);
  return c;
}

/** A unary call on raw bytes: the status it ends with (OK included). */
function rawUnary(path: string, body: Buffer): Promise<{ code: status; details: string }> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, { deadline: Date.now() + 20_000 }, (err: ServiceError | null) => {
      resolve(err === null ? { code: status.OK, details: '' } : { code: err.code, details: err.details });
    });
  });
}

async function watcherCount(): Promise<number> {
  const m = /^kite_server_watchers (\d+)$/m.exec(await cluster.metrics(TARGET));
  return Number(m?.[1] ?? Number.NaN);
}

/** The member still answers a write and a linearizable read, in the same process. */
async function stillServing(tag: string): Promise<void> {
  expect(cluster.pid(TARGET), `${TARGET} restarted or died`).toBe(pid);
  const kv = door();
  await kv.call('KV', 'Put', { key: Buffer.from(`alive/${tag}`), value: Buffer.from(tag) });
  const got = await kv.call('KV', 'Range', { key: Buffer.from(`alive/${tag}`) });
  expect((got['kvs'] as Msg[])[0]?.['value']?.toString()).toBe(tag);
  expect((await cluster.get(`${cluster.httpUrl(TARGET)}/health`)).status).toBe(200);
}

beforeAll(async () => {
  // etcd's default timing (1 s election): large bodies and floods stall a loaded 2-core
  // machine's event loops for longer than the harness's fast 200 ms election timeout.
  cluster = await Cluster.create({ size: 3, tickMs: 100 });
  await cluster.startAll();
  await cluster.leader();
  pid = cluster.pid(TARGET);
  raw = new Client(grpcAddress(TARGET), credentials.createInsecure());
  clients.push(raw);
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const c of doors) c.close();
  await cluster?.stop();
});

describe('bad input on the etcd gRPC door', () => {
  it('malformed protobuf bytes get INTERNAL (as grpc-go answers an unparsable request)', async () => {
    // Field 1 (key, bytes) claims 100 bytes and carries 3.
    const truncated = Buffer.from([0x0a, 0x64, 0x61, 0x62, 0x63]);
    // Field 1 with wire type 7, which does not exist.
    const badWireType = Buffer.from([0x0f, 0x01]);
    for (const body of [truncated, badWireType]) {
      const r = await rawUnary('/etcdserverpb.KV/Range', body);
      expect(r.code).toBe(status.INTERNAL);
      expect(r.details).toMatch(/deserializ/i);
    }
    await stillServing('malformed');
  });

  it('random bytes on every KV method each end with a status, never a crash or a hang', async () => {
    const next = rng(11);
    const outcomes = new Map<status, number>();
    for (let i = 0; i < 200; i++) {
      const body = Buffer.from(Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256)));
      const method = ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact'][i % 5] as string;
      const r = await rawUnary(`/etcdserverpb.KV/${method}`, body);
      outcomes.set(r.code, (outcomes.get(r.code) ?? 0) + 1);
    }
    // Every call was answered; whatever decoded was judged like any request.
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(200);
    expect(outcomes.has(status.INTERNAL)).toBe(true);
    await stillServing('random');
  });

  it('unknown services and methods get UNIMPLEMENTED', async () => {
    for (const path of ['/etcdserverpb.KV/Nope', '/etcdserverpb.Nope/Range', '/no.such.Service/Call', '/etcdserverpb.KV/']) {
      const r = await rawUnary(path, Buffer.alloc(0));
      expect(r.code, path).toBe(status.UNIMPLEMENTED);
    }
    await stillServing('unknown');
  });

  it('an oversized request gets RESOURCE_EXHAUSTED before it is decoded; one over the request limit gets etcd\'s "request is too large"', async () => {
    const kv = door();
    const huge = kv.call('KV', 'Put', { key: Buffer.from('huge'), value: Buffer.alloc(3 * 1024 * 1024, 7) });
    await expect(huge).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    const over = kv.call('KV', 'Put', { key: Buffer.from('over'), value: Buffer.alloc(1.5 * 1024 * 1024 + 1, 7) });
    await expect(over).rejects.toMatchObject({ code: status.INVALID_ARGUMENT, details: 'etcdserver: request is too large' });
    const got = await kv.call('KV', 'Range', { key: Buffer.from('huge'), range_end: Buffer.from('overa') });
    expect(got['count']).toBe('0');
    await stillServing('oversized');
  });

  it('10,000 concurrent streams on one connection each get an answer or a gRPC status; closing them frees the member', async () => {
    const lease = door();
    const id = (await lease.call('Lease', 'LeaseGrant', { TTL: 60 }))['ID'] as string;
    const outcomes = new Map<string, number>();
    const count = (what: string): void => void outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
    const streams = Array.from({ length: STREAMS }, () => {
      const s = lease.stream('Lease', 'LeaseKeepAlive');
      let settled = false;
      const settle = (what: string): void => {
        if (settled) return;
        settled = true;
        count(what);
      };
      s.on('data', (resp: Msg) => settle(Number(resp['TTL']) > 0 ? 'renewed' : `ttl ${String(resp['TTL'])}`));
      s.on('error', (err: ServiceError) => settle(`status ${status[err.code]}: ${err.details}`));
      s.on('end', () => settle('ended'));
      s.write({ ID: id });
      return s;
    });
    await waitFor(`${STREAMS} streams answered`, 120_000, () => ([...outcomes.values()].reduce((a, b) => a + b, 0) === STREAMS ? true : undefined));
    // Anything but a renewal must be a gRPC status, never a silently ended stream.
    expect(outcomes.get('ended'), JSON.stringify([...outcomes])).toBeUndefined();
    expect(outcomes.get('renewed') ?? 0, JSON.stringify([...outcomes])).toBeGreaterThan(0);
    for (const s of streams) s.cancel();
    await stillServing('streams');
  });

  it('a watch stream flooded with creates: the first WATCHES_PER_STREAM are created, the rest refused with a reason; the stream keeps delivering', async () => {
    const w = door().stream('Watch', 'Watch');
    const created: string[] = [];
    const refused: string[] = [];
    const events: Msg[] = [];
    let failure: ServiceError | null = null;
    w.on('data', (resp: Msg) => {
      if (resp['created'] === true && resp['canceled'] === true) refused.push(String(resp['cancel_reason']));
      else if (resp['created'] === true) created.push(String(resp['watch_id']));
      events.push(...((resp['events'] as Msg[] | undefined) ?? []));
    });
    w.on('error', (err: ServiceError) => (failure = err));
    for (let i = 0; i < FLOOD_CREATES; i++) w.write({ create_request: { key: Buffer.from(`flood/${i}`) } });
    await waitFor('every create answered', 60_000, () => (created.length + refused.length === FLOOD_CREATES || failure !== null ? true : undefined));
    expect(failure).toBeNull();
    expect(created).toHaveLength(WATCHES_PER_STREAM);
    expect(new Set(refused)).toEqual(new Set([`etcdserver: too many watches on this stream (limit ${WATCHES_PER_STREAM})`]));
    await door().call('KV', 'Put', { key: Buffer.from('flood/7'), value: Buffer.from('x') });
    await waitFor('the event on a flooded stream', 10_000, () => (events.length > 0 ? true : undefined));
    expect(events[0]?.['kv']).toMatchObject({ key: Buffer.from('flood/7') });
    w.cancel();
    await stillServing('flood');
  });

  it('10,000 concurrent watch streams are each created (or refused with a status) and freed when their clients go', async () => {
    const before = await watcherCount();
    const c = door();
    let created = 0;
    const failures = new Map<string, number>();
    const streams = Array.from({ length: STREAMS }, (_, i) => {
      const s = c.stream('Watch', 'Watch');
      s.on('data', (resp: Msg) => {
        if (resp['created'] === true) created++;
      });
      s.on('error', (err: ServiceError) => void failures.set(status[err.code], (failures.get(status[err.code]) ?? 0) + 1));
      s.write({ create_request: { key: Buffer.from(`many/${i}`) } });
      return s;
    });
    const answered = (): number => created + [...failures.values()].reduce((a, b) => a + b, 0);
    await waitFor(`${STREAMS} watch streams answered`, 120_000, () => (answered() >= STREAMS ? true : undefined));
    expect(created + [...failures.values()].reduce((a, b) => a + b, 0)).toBe(STREAMS);
    expect(created, JSON.stringify([...failures])).toBeGreaterThan(0);
    expect(await watcherCount()).toBe(before + created);
    for (const s of streams) s.cancel();
    await waitFor('every watcher freed', 60_000, async () => ((await watcherCount()) === before ? true : undefined));
    await stillServing('watch-streams');
  });

  it('a client that floods a watch stream and reads nothing is held by flow control: the member keeps serving, the watches go with the client', async () => {
    const before = await watcherCount();
    const w = door().stream('Watch', 'Watch');
    w.on('error', () => undefined);
    // Never read: the answers back up to the member, then HTTP/2 flow control stops the requests.
    w.pause();
    // The stream is open (its first watch exists) before the flood, so this is not the
    // door's refusal of requests sent before a stream is ready.
    w.write({ create_request: { key: Buffer.from('unread/first') } });
    await waitFor('the first watch', 20_000, async () => ((await watcherCount()) === before + 1 ? true : undefined));
    for (let i = 0; i < UNREAD_FLOOD_CREATES; i++) w.write({ create_request: { key: Buffer.from(`unread/${i}`) } });
    await waitFor('the stream full of watches', 60_000, async () => ((await watcherCount()) === before + WATCHES_PER_STREAM ? true : undefined));
    // The member did not take the whole flood in: the client still holds requests it could not send.
    expect(w.writableLength).toBeGreaterThan(0);
    await stillServing('unread-flood');
    w.cancel();
    await waitFor('the watches freed', 60_000, async () => ((await watcherCount()) === before ? true : undefined));
    await stillServing('unread-flood-gone');
  });
});
