// The etcd door's Watch service: etcdctl's watch --prefix --rev --prev-kv keeps watching while
// the leader is killed and while the member serving its stream stops (the stream ends, etcdctl
// reconnects to another member and resumes), and sees every write exactly once, in revision
// order, with the right previous values. Stream details etcdctl cannot show (client-chosen
// ids, duplicates, filters, cancel, progress, compaction, fragments) go through a raw gRPC
// stream built from the same rpc.proto.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { Cluster, waitFor } from './harness/cluster.js';
import { EtcdGrpc, type Msg } from './harness/etcd-grpc.js';
import { EtcdctlProcess, etcdctlOk, parseEtcdJson } from './harness/etcdctl.js';

interface KvJson {
  readonly key: string;
  readonly value?: string;
  readonly mod_revision: number;
  readonly version: number;
}
interface WatchLine {
  readonly Header: { readonly revision: number };
  readonly Events: readonly { readonly type?: number; readonly kv: KvJson; readonly prev_kv?: KvJson }[] | null;
  readonly Canceled: boolean;
}

const KEYS = 20;
/** The second cluster's --max-request-bytes. */
const REQUEST_BYTES_MAX = 64 * 1024;
const text = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString();
const buf = (s: string): Buffer => Buffer.from(s);

describe('etcdctl watch through leader loss and member stops', () => {
  let cluster: Cluster | undefined;
  const clients: EtcdGrpc[] = [];
  const watchers: EtcdctlProcess[] = [];
  afterEach(async () => {
    for (const w of watchers.splice(0)) await w.stop();
    for (const c of clients.splice(0)) c.close();
    await cluster?.stop();
    cluster = undefined;
  });

  /** Puts /wk/(i % KEYS) = i round-robin over the members until stopped; counts confirmed puts. */
  function startWriter(running: Cluster): { stop(): Promise<{ confirmed: number; attempted: number }> } {
    const grpcs = running.members.map((m) => new EtcdGrpc(running.grpcUrl(m.name)));
    clients.push(...grpcs);
    let stopping = false;
    let confirmed = 0;
    let attempted = 0;
    const loop = (async () => {
      for (let i = 0; !stopping; i++) {
        attempted++;
        const g = grpcs[i % grpcs.length]!;
        await g.call('KV', 'Put', { key: buf(`/wk/${i % KEYS}`), value: buf(String(i)) }, 3_000).then(
          () => confirmed++,
          () => undefined,
        );
      }
    })();
    return {
      async stop() {
        stopping = true;
        await loop;
        return { confirmed, attempted };
      },
    };
  }

  async function watchHost(running: Cluster): Promise<string> {
    return waitFor('the member serving the watch', 10_000, async () => {
      for (const m of running.members) {
        if (!running.isRunning(m.name)) continue;
        const st = (await running.status(m.name)) as unknown as { watchers: number };
        if (st.watchers > 0) return m.name;
      }
      return undefined;
    });
  }

  it('sees every put exactly once, in order, with prev_kv, across a leader kill and a graceful stop', async () => {
    const running = (cluster = await Cluster.create({ size: 3 }));
    await running.startAll();
    await running.leader();
    const start = parseEtcdJson<{ header: { revision: number } }>(await etcdctlOk(running.grpcUrls, ['put', '/wk/start', 'x', '-w', 'json'])).header.revision;
    const watch = new EtcdctlProcess(running.grpcUrls, ['watch', '--prefix', '/wk/', '--rev', String(start + 1), '--prev-kv', '-w', 'json']);
    watchers.push(watch);
    await watchHost(running);
    const writer = startWriter(running);
    await waitFor('writes flowing', 20_000, () => (watch.stdout.split('\n').length > 20 ? true : undefined));

    const leader = await running.leader();
    await running.kill(leader, 'SIGKILL');
    await waitFor('writes after the leader kill', 20_000, async () => ((await running.leader()) !== leader ? true : undefined));
    running.start(leader);
    await running.waitHealthy(leader);
    const linesBefore = watch.stdout.split('\n').length;
    await waitFor('events after the restart', 20_000, () => (watch.stdout.split('\n').length > linesBefore + 20 ? true : undefined));

    // The member holding the stream stops gracefully: the stream ends, etcdctl reconnects.
    const host = await watchHost(running);
    await running.kill(host, 'SIGTERM');
    const linesAtStop = watch.stdout.split('\n').length;
    await waitFor('events after the graceful stop', 20_000, () => (watch.stdout.split('\n').length > linesAtStop + 20 ? true : undefined));
    const moved = await watchHost(running);
    expect(moved).not.toBe(host);
    running.start(host);
    await running.waitHealthy(host);

    const { confirmed, attempted } = await writer.stop();
    const final = parseEtcdJson<{ header: { revision: number }; kvs: KvJson[] }>(await etcdctlOk(running.grpcUrls, ['get', '/wk/', '--prefix', '-w', 'json']));
    const written = final.kvs.filter((kv) => text(kv.key) !== '/wk/start');
    const total = written.reduce((sum, kv) => sum + kv.version, 0);
    expect(total).toBeGreaterThanOrEqual(confirmed);
    expect(total).toBeLessThanOrEqual(attempted);

    const lastRevision = Math.max(...written.map((kv) => kv.mod_revision));
    await waitFor('the watch caught up', 30_000, () => (watch.stdout.includes(`"mod_revision":${lastRevision},`) ? true : undefined));
    const events = watch.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => parseEtcdJson<WatchLine>(l))
      .flatMap((r) => {
        expect(r.Canceled).toBe(false);
        return r.Events ?? [];
      });
    const revisions = events.map((e) => e.kv.mod_revision);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(events.length).toBe(total);
    const latest = new Map<string, string>();
    for (const e of events) {
      expect(e.type ?? 0).toBe(0);
      const key = text(e.kv.key);
      expect(e.prev_kv === undefined ? undefined : text(e.prev_kv.value)).toBe(latest.get(key));
      latest.set(key, text(e.kv.value));
    }
    for (const kv of written) expect(latest.get(text(kv.key))).toBe(text(kv.value));
    expect(watch.running).toBe(true);
  });
});

describe('the Watch stream, as etcd answers it', () => {
  let cluster: Cluster;
  let grpc: EtcdGrpc;
  let stream: ClientDuplexStream<Msg, Msg>;
  let member: string;
  let streamError: ServiceError | undefined;
  const received: Msg[] = [];
  beforeAll(async () => {
    // A small request limit, so a watch response past it (fragments) needs no large writes.
    cluster = await Cluster.create({ size: 3, flags: ['--max-request-bytes', String(REQUEST_BYTES_MAX)] });
    await cluster.startAll();
    const leader = await cluster.leader();
    member = cluster.members.find((m) => m.name !== leader)!.name;
    grpc = new EtcdGrpc(cluster.grpcUrl(member));
    stream = grpc.stream('Watch', 'Watch');
    stream.on('data', (m: Msg) => received.push(m));
    stream.on('error', (e: ServiceError) => (streamError = e));
  });
  afterAll(async () => {
    stream?.end();
    grpc?.close();
    await cluster?.stop();
  });

  /** The next response matching `pred` among those received since `from`. */
  async function next(from: number, pred: (m: Msg) => boolean): Promise<Msg> {
    return waitFor('a watch response', 10_000, () => received.slice(from).find(pred));
  }
  const create = (req: Msg): void => void stream.write({ create_request: req });
  const put = (k: string, v: string): Promise<Msg> => grpc.call('KV', 'Put', { key: buf(k), value: buf(v) });

  it('honours a client-chosen id, refuses a duplicate, applies filters and prev_kv, cancels', async () => {
    const from = received.length;
    create({ key: buf('/ws/a'), watch_id: '7', filters: ['NODELETE'], prev_kv: true });
    const created = await next(from, (m) => m['created'] === true);
    expect(created).toMatchObject({ watch_id: '7', created: true, canceled: false });
    create({ key: buf('/ws/a'), watch_id: '7' });
    const dup = await next(from, (m) => m['canceled'] === true);
    expect(dup).toMatchObject({ watch_id: '-1', created: true, canceled: true, cancel_reason: 'mvcc: duplicate watch ID provided on the WatchStream' });
    await put('/ws/a', '1');
    await grpc.call('KV', 'DeleteRange', { key: buf('/ws/a') });
    await put('/ws/a', '2');
    const events = await next(from, (m) => m['watch_id'] === '7' && (m['events'] as Msg[]).some((e) => ((e['kv'] as Msg)['value'] as Buffer).toString() === '2'));
    expect((events['events'] as Msg[]).map((e) => e['type'])).toEqual(['PUT']);
    const before = received.filter((m) => m['watch_id'] === '7' && (m['events'] as Msg[]).length > 0).flatMap((m) => m['events'] as Msg[]);
    expect(before.map((e) => ((e['kv'] as Msg)['value'] as Buffer).toString())).toEqual(['1', '2']);
    // A delete came in between: the second put has no previous value.
    expect(before.map((e) => e['prev_kv'] ?? null)).toEqual([null, null]);
    stream.write({ cancel_request: { watch_id: '7' } });
    expect(await next(from, (m) => m['watch_id'] === '7' && m['canceled'] === true)).toMatchObject({ canceled: true, cancel_reason: '' });
  });

  it('gives ids from 0 when the client sends none, and answers a progress request once for all watches', async () => {
    const from = received.length;
    create({ key: buf('/wp/a') });
    create({ key: buf('/wp/b') });
    await next(from, (m) => m['created'] === true && m['watch_id'] === '1');
    expect(received.slice(from).filter((m) => m['created'] === true).map((m) => m['watch_id'])).toEqual(['0', '1']);
    const rev = Number(((await put('/wp/a', 'x'))['header'] as Msg)['revision']);
    const mark = received.length;
    stream.write({ progress_request: {} });
    const progress = await next(mark, (m) => m['watch_id'] === '-1');
    expect(Number((progress['header'] as Msg)['revision'])).toBeGreaterThanOrEqual(rev);
    expect(progress['events']).toEqual([]);
  });

  it('sends an idle progress_notify watch empty progress responses (the member ticks them every 10 s)', async () => {
    const from = received.length;
    create({ key: buf('/wn/'), range_end: buf('/wn0'), watch_id: '30', progress_notify: true });
    await next(from, (m) => m['watch_id'] === '30' && m['created'] === true);
    const progress = await waitFor('a progress notification', 30_000, () =>
      received.slice(from).find((m) => m['watch_id'] === '30' && m['created'] === false && (m['events'] as Msg[]).length === 0),
    );
    expect(Number((progress['header'] as Msg)['revision'])).toBeGreaterThan(0);
    stream.write({ cancel_request: { watch_id: '30' } });
  }, 60_000);

  it('ends a watch from a compacted revision with compact_revision and no reason', async () => {
    const rev = Number(((await put('/wc/a', '1'))['header'] as Msg)['revision']);
    await put('/wc/a', '2');
    await grpc.call('KV', 'Compact', { revision: String(rev + 1), physical: true });
    const from = received.length;
    create({ key: buf('/wc/a'), start_revision: String(rev), watch_id: '40' });
    const canceled = await next(from, (m) => m['watch_id'] === '40' && m['canceled'] === true);
    expect(canceled).toMatchObject({ canceled: true, compact_revision: String(rev + 1), cancel_reason: '' });
    expect(received.slice(from).filter((m) => m['watch_id'] === '40').map((m) => m['created'])).toEqual([true, false]);
  });

  it('splits a response larger than the request limit into fragments when asked', async () => {
    // Four revisions of 40 KiB each, read back by one catch-up: one response past the limit.
    const value = Buffer.alloc(40 * 1024, 1);
    let first = 0;
    for (let i = 0; i < 4; i++) {
      const rev = Number(((await grpc.call('KV', 'Put', { key: buf(`/wf/${i}`), value }))['header'] as Msg)['revision']);
      first ||= rev;
    }
    const from = received.length;
    create({ key: buf('/wf/'), range_end: buf('/wf0'), watch_id: '50', fragment: true, start_revision: String(first) });
    await waitFor('all four events', 10_000, () => {
      const n = received.slice(from).filter((m) => m['watch_id'] === '50').flatMap((m) => m['events'] as Msg[]).length;
      return n === 4 ? true : undefined;
    });
    const parts = received.slice(from).filter((m) => m['watch_id'] === '50' && (m['events'] as Msg[]).length > 0);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.slice(0, -1).every((m) => m['fragment'] === true)).toBe(true);
    expect(parts.at(-1)?.['fragment']).toBe(false);
  });

  it('keeps sending events on a stream the client half-closed after its create request, as etcd does', async () => {
    // grpcurl and one-shot clients send their create request and close their side at once.
    const half = grpc.stream('Watch', 'Watch');
    const got: Msg[] = [];
    half.on('data', (m: Msg) => got.push(m));
    half.on('error', () => undefined);
    half.write({ create_request: { key: buf('/wh/a'), watch_id: '70' } });
    half.end();
    await waitFor('the created response', 10_000, () => got.find((m) => m['created'] === true));
    await put('/wh/a', 'after-half-close');
    const event = await waitFor('the event after the half-close', 10_000, () => got.find((m) => (m['events'] as Msg[] | undefined)?.length));
    expect(((event['events'] as Msg[])[0]!['kv'] as Msg)['value']).toEqual(buf('after-half-close'));
    half.cancel();
  });

  it('ends every stream of a stopping member with etcd\'s server stopped (clients reconnect elsewhere)', async () => {
    create({ key: buf('/wz/'), watch_id: '60' });
    await next(0, (m) => m['watch_id'] === '60' && m['created'] === true);
    await cluster.kill(member, 'SIGTERM');
    const err = await waitFor('the stream to end', 10_000, () => streamError);
    expect([err.code, err.details]).toEqual([14, 'etcdserver: server stopped']);
  });
});
