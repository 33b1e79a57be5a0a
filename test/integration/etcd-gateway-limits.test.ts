// The JSON gateway's own bounds, in process on a loopback HTTP server with stand-in handlers
// (no cluster: the bounds are the gateway's, whatever the services do): open streams are
// capped (the next one gets RESOURCE_EXHAUSTED, HTTP 429, at once, and a slot frees when a
// client goes), and a stream whose client does not read is ended once its unsent bytes pass
// the bound, closing the handler's stream.

import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthSession } from '../../packages/server/src/auth/session.js';
import { EtcdGateway } from '../../packages/server/src/etcd/gateway.js';
import type { EtcdMessage, ServiceHandlers } from '../../packages/server/src/etcd/handlers.js';
import { silentLogger } from '../../packages/server/src/logger.js';
import { waitFor } from './harness/cluster.js';

interface FakeWatch {
  send(resp: EtcdMessage): boolean;
  closed: boolean;
}

const header = { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' };

let server: Server | null = null;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())));
  server = null;
});

/** A gateway over a Watch handler that answers each create and is otherwise driven by the test. */
async function start(limits: { streamsMax?: number; streamUnsentBytesMax?: number }): Promise<{ port: number; watches: FakeWatch[] }> {
  const watches: FakeWatch[] = [];
  const watch: ServiceHandlers = {
    unary: {},
    streams: {
      Watch: (_ctx, send) => {
        const w: FakeWatch = { send, closed: false };
        watches.push(w);
        return {
          write: () => void send({ header, created: true }),
          close: () => {
            w.closed = true;
          },
        };
      },
    },
  };
  const gateway = new EtcdGateway({
    services: { Watch: watch },
    contexts: { contextOf: () => Promise.resolve({ session: new AuthSession('127.0.0.1', 'gateway') }) },
    bodyBytesMax: 64 * 1024,
    log: silentLogger(),
    ...limits,
  });
  const s = createServer((req, res) => void gateway.serve(req, res, req.url ?? ''));
  server = s;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  return { port: (s.address() as AddressInfo).port, watches };
}

/** A watch call: the status line and the body so far; `close()` hangs up. */
function watchCall(port: number, opts: { read: boolean }): { status: Promise<number>; body: () => string; close(): void } {
  let text = '';
  let resolveStatus: (n: number) => void = () => undefined;
  const status = new Promise<number>((resolve) => (resolveStatus = resolve));
  const req = httpRequest({ host: '127.0.0.1', port, path: '/v3/watch', method: 'POST' }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    if (!opts.read) return res.pause();
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
  });
  req.on('error', () => undefined);
  req.end('{"create_request":{"key":"YQ=="}}');
  return { status, body: () => text, close: () => req.destroy() };
}

describe('JSON gateway bounds', () => {
  it('caps open streams: the next gets 429 at once; a slot frees when a client goes', async () => {
    const { port, watches } = await start({ streamsMax: 3 });
    const open = [watchCall(port, { read: true }), watchCall(port, { read: true }), watchCall(port, { read: true })];
    for (const c of open) expect(await c.status).toBe(200);
    await waitFor('three created lines', 10_000, () => (open.every((c) => c.body().includes('"created":true')) ? true : undefined));
    const refused = await fetch(`http://127.0.0.1:${port}/v3/watch`, { method: 'POST', body: '{"create_request":{"key":"YQ=="}}' });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: 'etcdserver: too many requests', code: 8, message: 'etcdserver: too many requests' });
    expect(watches).toHaveLength(3);
    open[0]?.close();
    await waitFor('the first stream closed', 10_000, () => (watches[0]?.closed === true ? true : undefined));
    const next = watchCall(port, { read: true });
    expect(await next.status).toBe(200);
    await waitFor('a fourth stream', 10_000, () => (watches.length === 4 ? true : undefined));
    for (const c of [...open, next]) c.close();
  });

  it('ends a stream whose client does not read once its unsent bytes pass the bound, and closes the handler\'s stream', async () => {
    const unsentBytesMax = 1024 * 1024;
    const { port, watches } = await start({ streamUnsentBytesMax: unsentBytesMax });
    const stuck = watchCall(port, { read: false });
    expect(await stuck.status).toBe(200);
    await waitFor('the watch open', 10_000, () => (watches.length === 1 ? true : undefined));
    const w = watches[0] as FakeWatch;
    // A handler that ignores back-pressure (send's false) and keeps sending 64 KiB events.
    const event = { header, events: [{ kv: { key: Buffer.from('a'), value: Buffer.alloc(64 * 1024, 1) } }] };
    let sent = 0;
    await waitFor('the stream ended by the gateway', 20_000, async () => {
      for (let i = 0; i < 16 && !w.closed; i++, sent++) w.send(event);
      await new Promise((r) => setImmediate(r));
      return w.closed ? true : undefined;
    });
    // It ended within a bound of work: the socket buffers plus the gateway's own allowance.
    expect(sent * 64 * 1024).toBeLessThan(unsentBytesMax + 16 * 1024 * 1024);
    expect(w.send(event)).toBe(false);
    stuck.close();
  });
});
