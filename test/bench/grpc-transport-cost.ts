// Measurement, not a test: the etcd door's gRPC transport alone (grpc-server.ts), CPU per call.
// Serves KV.Range in this process with a route that answers at once with a fixed reply (no
// member behind it), while a child process drives it with grpc-js's client at N in flight;
// prints this process's CPU time (user + system) per call. It is the floor any etcd call pays
// in the door before Kite does any work: HTTP/2 in node, the gRPC framing, protobuf.
//
// With --server grpc-js, the same route on grpc-js's own Server (what the door used before),
// for comparison.
//
//   npx tsx test/bench/grpc-transport-cost.ts [--calls 20000] [--in-flight 100] [--server lean|grpc-js]

import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Client, credentials, Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { etcdServices } from '../../packages/server/src/etcd/etcd-proto.js';
import { GrpcServer, type GrpcMethod, type GrpcServerCall } from '../../packages/server/src/etcd/grpc-server.js';

type Msg = Record<string, unknown>;
type Method = GrpcMethod & { requestSerialize(m: Msg): Buffer; responseDeserialize(b: Buffer): Msg };

const { values: argv } = parseArgs({ options: { calls: { type: 'string', default: '20000' }, 'in-flight': { type: 'string', default: '100' }, server: { type: 'string', default: 'lean' }, child: { type: 'string' } } });
const range = (etcdServices().KV as unknown as Record<string, Method>)['Range'] as Method;
const REPLY: Msg = {
  header: { cluster_id: '18446744073709551615', member_id: '517054484557158834', revision: '12345', raft_term: '3' },
  kvs: [{ key: Buffer.from('bench/read/1'), value: Buffer.alloc(256, 'v'), create_revision: '100', mod_revision: '12000', version: '7', lease: '0' }],
  count: '1',
};

async function drive(port: number, calls: number, inFlight: number): Promise<void> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => client.makeUnaryRequest(range.path, range.requestSerialize, range.responseDeserialize, { key: Buffer.from('bench/read/1'), serializable: true }, (err) => (err === null ? resolve() : reject(err))));
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next++ < calls) await one();
  }));
  client.close();
}

if (argv.child !== undefined) {
  const [port, calls, inFlight] = argv.child.split(',').map(Number) as [number, number, number];
  await drive(port, 500, inFlight);
  process.send?.('warm');
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  await drive(port, calls, inFlight);
  process.exit(0);
} else {
  const calls = Number(argv.calls);
  const inFlight = Number(argv['in-flight']);
  const { port, close } = argv.server === 'grpc-js' ? await grpcJsServer() : await leanServer();
  const child = fork(new URL(import.meta.url).pathname, ['--child', `${port},${calls},${inFlight}`], { execArgv: process.execArgv });
  await new Promise<void>((resolve) => child.once('message', () => resolve()));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  child.send('go');
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - t0;
  console.log(`${argv.server}: ${calls} Range calls, ${inFlight} in flight: server CPU ${((cpu.user + cpu.system) / calls).toFixed(1)} us per call (user ${(cpu.user / calls).toFixed(1)}, system ${(cpu.system / calls).toFixed(1)}), ${((calls / ms) * 1000).toFixed(0)} calls/s`);
  await close();
}

async function leanServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new GrpcServer({
    routes: new Map([[range.path, { method: range, start: (call: GrpcServerCall) => call.listen({ message: () => undefined, halfClose: () => call.finish(null, REPLY), cancel: () => undefined, drain: () => undefined }) }]]),
    messageBytesMax: 2 * 1024 * 1024,
    streamsPerConnectionMax: 20_000,
    tls: null,
  });
  return { port: await server.listen('127.0.0.1', 0), close: () => server.close(1000) };
}

async function grpcJsServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new Server({ 'grpc.max_concurrent_streams': 20_000 });
  server.addService({ Range: range } as never, { Range: (_call: ServerUnaryCall<Msg, Msg>, cb: sendUnaryData<Msg>) => cb(null, REPLY) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err === null ? resolve(p) : reject(err))));
  return { port, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}
