// The etcd door's own gRPC transport (grpc-server.ts) in-process on a loopback port, with
// scripted routes, against grpc-js's client and raw HTTP/2: what the member tests cannot
// steer: a `grpc-timeout` deadline ends a call the handler never answers (and the handler
// hears `cancel`), a client cancel reaches the handler, a compressed request and a non-gRPC
// content type are refused, metadata and the peer reach the route, and a reply's message and
// status arrive together as one unary answer.

import { connect as h2connect, constants as h2, type ServerHttp2Stream } from 'node:http2';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdServices } from '../../packages/server/src/etcd/etcd-proto.js';
import { GrpcServer, type GrpcMethod, type GrpcRoute, type GrpcServerCall } from '../../packages/server/src/etcd/grpc-server.js';
import { grpcFrame } from '../../packages/server/src/etcd/grpc-messages.js';
import { waitFor } from './harness/cluster.js';

type Msg = Record<string, unknown>;
/** A method with the client's halves of proto-loader's serializers too. */
type Method = GrpcMethod & { requestSerialize(m: Msg): Buffer; responseDeserialize(b: Buffer): Msg };

const kv = etcdServices().KV as unknown as Record<string, Method>;
const watch = etcdServices().Watch as unknown as Record<string, Method>;
const lease = etcdServices().Lease as unknown as Record<string, Method>;
const events: string[] = [];
let server: GrpcServer;
let port = 0;
let client: Client;

/** Range answers at once with the token it saw; Put never answers; Watch echoes and records cancel. */
function routes(): Map<string, GrpcRoute> {
  const quiet = { halfClose: () => undefined, cancel: () => undefined, drain: () => undefined };
  const range: GrpcRoute = {
    method: kv['Range'] as GrpcMethod,
    start: (call: GrpcServerCall) =>
      call.listen({
        ...quiet,
        message: (req: Msg) => {
          if ((req['key'] as Buffer).toString() === 'fail') return call.finish({ code: status.OUT_OF_RANGE, message: 'etcdserver: mvcc: required revision has been compacted' });
          call.finish(null, { kvs: [{ key: req['key'], value: Buffer.from(`${call.metadata('token') ?? 'none'}@${call.peerAddress.startsWith('127.0.0.1:') ? 'loopback' : call.peerAddress}`) }], count: '1' });
        },
      }),
  };
  const put: GrpcRoute = {
    method: kv['Put'] as GrpcMethod,
    start: (call: GrpcServerCall) => call.listen({ ...quiet, message: () => undefined, cancel: () => void events.push('put cancelled') }),
  };
  const watchRoute: GrpcRoute = {
    method: watch['Watch'] as GrpcMethod,
    start: (call: GrpcServerCall) =>
      call.listen({
        ...quiet,
        message: () => void call.send({ watch_id: '1', created: true }),
        cancel: () => void events.push('watch cancelled'),
      }),
  };
  // Resets its own stream on the first request, then sends on it in the same turn (before the
  // stream's 'close' event): what a watch pump does when the client resets under it.
  const keepAlive: GrpcRoute = {
    method: lease['LeaseKeepAlive'] as GrpcMethod,
    start: (call: GrpcServerCall) =>
      call.listen({
        ...quiet,
        message: () => {
          (call as unknown as { stream: ServerHttp2Stream }).stream.destroy();
          try {
            events.push(`send on a reset stream: ${String(call.send({ ID: '1', TTL: '5' }))}`);
          } catch (err) {
            events.push(`send on a reset stream threw ${(err as Error).message}`);
          }
        },
      }),
  };
  return new Map([range, put, watchRoute, keepAlive].map((r) => [r.method.path, r]));
}

function rawClient(): Client {
  return new Client(`127.0.0.1:${port}`, credentials.createInsecure());
}

function unary(method: Method, req: Msg, token?: string): Promise<Msg> {
  const md = new Metadata();
  if (token !== undefined) md.set('token', token);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, req, md, (err: ServiceError | null, resp?: Msg) => (err === null ? resolve(resp as Msg) : reject(err))),
  );
}

/** A raw HTTP/2 request: the response headers, the body bytes and the trailers. */
function rawRequest(headers: Record<string, string>, body: Buffer): Promise<{ headers: Record<string, unknown>; body: Buffer; trailers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ [h2.HTTP2_HEADER_METHOD]: 'POST', te: 'trailers', ...headers });
    let resHeaders: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => (resHeaders = { ...h }));
    req.on('trailers', (t) => (trailers = { ...t }));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      session.close();
      resolve({ headers: resHeaders, body: Buffer.concat(chunks), trailers });
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  server = new GrpcServer({ routes: routes(), messageBytesMax: 1024, streamsPerConnectionMax: 100, tls: null });
  port = await server.listen('127.0.0.1', 0);
  client = rawClient();
});

afterAll(async () => {
  client?.close();
  await server?.close(1_000);
});

describe('the etcd door gRPC transport', () => {
  it('answers a unary call with its message and OK, metadata and peer reaching the route', async () => {
    const resp = await unary(kv['Range'] as Method, { key: Buffer.from('k') }, 'tok');
    expect((resp['kvs'] as Msg[])[0]?.['value']?.toString()).toBe('tok@loopback');
    expect(resp['count']).toBe('1');
  });

  it("sends a failure's status and message as the trailers", async () => {
    await expect(unary(kv['Range'] as Method, { key: Buffer.from('fail') })).rejects.toMatchObject({ code: status.OUT_OF_RANGE, details: 'etcdserver: mvcc: required revision has been compacted' });
  });

  it('ends a call its handler never answers at the grpc-timeout deadline, and the handler hears cancel', async () => {
    events.length = 0;
    // Raw HTTP/2, so the status is the server's (grpc-js's client would also time out by itself).
    const put = (kv['Put'] as Method).requestSerialize({ key: Buffer.from('k'), value: Buffer.from('v') });
    const res = await rawRequest({ [h2.HTTP2_HEADER_PATH]: (kv['Put'] as GrpcMethod).path, 'content-type': 'application/grpc', 'grpc-timeout': '200m' }, grpcFrame(put));
    expect(res.trailers['grpc-status'] ?? res.headers['grpc-status']).toBe(String(status.DEADLINE_EXCEEDED));
    expect(events).toEqual(['put cancelled']);
  });

  it('tells a stream handler when the client cancels', async () => {
    events.length = 0;
    const w = watch['Watch'] as Method;
    const s = rawClient().makeBidiStreamRequest(w.path, w.requestSerialize, (b: Buffer) => b);
    s.on('error', () => undefined);
    const first = new Promise((resolve) => s.once('data', resolve));
    s.write({ create_request: { key: Buffer.from('a') } });
    await first;
    s.cancel();
    await waitFor('the handler hears cancel', 10_000, () => (events.includes('watch cancelled') ? true : undefined));
  });

  it('a send on a stream reset before its close event says false instead of throwing', async () => {
    events.length = 0;
    const k = lease['LeaseKeepAlive'] as Method;
    const s = rawClient().makeBidiStreamRequest(k.path, k.requestSerialize, (b: Buffer) => b);
    s.on('error', () => undefined);
    s.write({ ID: '1' });
    await waitFor('the route ran', 10_000, () => (events.length > 0 ? true : undefined));
    expect(events).toEqual(['send on a reset stream: false']);
  });

  it('refuses a compressed request (UNIMPLEMENTED), a request over the limit (RESOURCE_EXHAUSTED) and a non-gRPC content type (415)', async () => {
    const path = (kv['Range'] as GrpcMethod).path;
    const compressed = grpcFrame(Buffer.from([0x0a, 0x01, 0x6b]));
    compressed[0] = 1;
    const c = await rawRequest({ [h2.HTTP2_HEADER_PATH]: path, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' }, compressed);
    expect(c.trailers['grpc-status'] ?? c.headers['grpc-status']).toBe(String(status.UNIMPLEMENTED));
    const big = await rawRequest({ [h2.HTTP2_HEADER_PATH]: path, 'content-type': 'application/grpc' }, grpcFrame(Buffer.alloc(1025)));
    expect(big.trailers['grpc-status'] ?? big.headers['grpc-status']).toBe(String(status.RESOURCE_EXHAUSTED));
    const json = await rawRequest({ [h2.HTTP2_HEADER_PATH]: path, 'content-type': 'application/json' }, Buffer.from('{}'));
    expect(json.headers[h2.HTTP2_HEADER_STATUS]).toBe(415);
  });

  it('sends a unary reply as response headers, one message and trailers with grpc-status 0', async () => {
    const range = kv['Range'] as Method;
    const res = await rawRequest({ [h2.HTTP2_HEADER_PATH]: range.path, 'content-type': 'application/grpc' }, grpcFrame(range.requestSerialize({ key: Buffer.from('k') })));
    expect(res.headers[h2.HTTP2_HEADER_STATUS]).toBe(200);
    expect(res.headers['content-type']).toBe('application/grpc+proto');
    expect(res.body.readUInt32BE(1)).toBe(res.body.length - 5);
    expect(res.trailers['grpc-status']).toBe('0');
  });
});
