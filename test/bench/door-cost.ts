// Measurement, not a test: what one put costs the members through each door, on a shared
// machine where wall-clock rates mostly measure the neighbours. Starts a 3-member Kite cluster
// with the member's defaults (100 ms ticks, 7 s request timeout), then per door (the etcd gRPC
// door through the `etcd3` npm client, the native WebSocket door through @kite/client) and per
// target member (the leader, a follower) runs puts with a given number in flight and prints
// the CPU time each member used per put (from /proc, which load on the machine does not
// inflate), WAL fsyncs per 100 puts (Readies that persisted: the batching), and the rate.
// The native client follows the leader by itself, so its "follower" row is served by the
// leader too; the gRPC door serves wherever it is asked (a follower forwards).
//
//   npx tsx test/bench/door-cost.ts [--puts 4000] [--in-flight 100,1] [--doors grpc,native]
//     [--targets leader,follower] [--cpu-prof DIR] [--op put|sget]
//
// --op sget: serializable gets instead of puts (keys written once first), served by the target
// member alone: the door's own cost per call, without Raft.
//
// --cpu-prof DIR: every member runs with `node --cpu-prof` and writes its profile to DIR when
// stopped (then: npx tsx test/bench/profile-summary.ts DIR/CPU.<pid>.cpuprofile).
//
// Every process it starts is stopped by pid (the integration harness).

import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Etcd3 } from 'etcd3';
import { connect } from '@kite/client';
import { Cluster } from '../integration/harness/cluster.js';
import { cpuMs } from './proc-stats.js';

const { values: argv } = parseArgs({
  options: {
    puts: { type: 'string', default: '4000' },
    'in-flight': { type: 'string', default: '100,1' },
    doors: { type: 'string', default: 'grpc,native' },
    targets: { type: 'string', default: 'leader,follower' },
    'cpu-prof': { type: 'string' },
    op: { type: 'string', default: 'put' },
  },
});
/** put: the Raft path; sget: a serializable get, served by the target member alone (the door's own cost per call). */
const OP = argv.op === 'sget' ? 'sget' : 'put';
const DOORS = argv.doors.split(',') as Door['name'][];
const TARGETS = argv.targets.split(',');
const PROFILE_DIR = argv['cpu-prof'];
const PUTS = Number(argv.puts);
const IN_FLIGHT = argv['in-flight'].split(',').map(Number);
const VALUE = Buffer.alloc(256, 'v');
/** Puts of the lone-put rows: a fraction, since each is a full Raft round alone. */
const LONE_PUTS_SHARE = 0.1;
/** Keys the puts cycle through. */
const KEYS = 5000;

interface Door {
  readonly name: 'grpc' | 'native';
  put(key: string): Promise<unknown>;
  close(): void;
}

async function openDoor(name: Door['name'], cluster: Cluster, member: string): Promise<Door> {
  if (name === 'grpc') {
    const c = new Etcd3({ hosts: [cluster.grpcUrl(member)] });
    const put = OP === 'sget' ? (k: string) => c.get(k).serializable(true).buffer() : (k: string) => c.put(k).value(VALUE).exec();
    return { name, put, close: () => c.close() };
  }
  const c = await connect({ endpoints: [cluster.clientUrl(member)] });
  const put = OP === 'sget' ? (k: string) => c.get(Buffer.from(k), { serializable: true }) : (k: string) => c.put(Buffer.from(k), VALUE);
  return { name, put, close: () => void c.close() };
}

function fsyncCount(metrics: string): number {
  return Number(/^kite_disk_wal_fsync_duration_seconds_count (\d+)/m.exec(metrics)?.[1] ?? 0);
}

async function measure(cluster: Cluster, door: Door, inFlight: number, puts: number): Promise<string> {
  const names = cluster.members.map((m) => m.name);
  const pid = (n: string): number => cluster.pid(n) ?? Number.NaN;
  const fsyncs = async (): Promise<number> => (await Promise.all(names.map(async (n) => fsyncCount(await cluster.metrics(n))))).reduce((a, b) => a + b, 0);
  await door.put('door-cost/warmup');
  const cpu0 = names.map((n) => cpuMs(pid(n)));
  const f0 = await fsyncs();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < puts) await door.put(`door-cost/${next++ % KEYS}`);
  }));
  const elapsedMs = performance.now() - started;
  const perPutUs = names.map((n, i) => Math.round(((cpuMs(pid(n)) - (cpu0[i] as number)) / puts) * 1000));
  const f = (await fsyncs()) - f0;
  return `${perPutUs.join(' + ')} = ${perPutUs.reduce((a, b) => a + b, 0)} us | ${((f / puts) * 100).toFixed(1)} fsyncs/100 puts | ${((puts / elapsedMs) * 1000).toFixed(0)} puts/s`;
}

async function main(): Promise<void> {
  const nodeFlags = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE_DIR)}`];
  const cluster = await Cluster.create({ size: 3, tickMs: 100, flags: ['--request-timeout-ms', '7000'], nodeFlags });
  try {
    await cluster.startAll();
    const leader = await cluster.leader();
    const follower = cluster.members.map((m) => m.name).find((n) => n !== leader) as string;
    if (OP === 'sget') {
      const writer = await connect({ endpoints: [cluster.clientUrl(leader)] });
      let k = 0;
      await Promise.all(Array.from({ length: 100 }, async () => {
        while (k < KEYS) await writer.put(Buffer.from(`door-cost/${k++}`), VALUE);
      }));
      void writer.close();
    }
    console.log(`3 members (${cluster.members.map((m) => `${m.name} pid ${cluster.pid(m.name)}`).join(', ')}; leader ${leader}), ${PUTS} puts of ${VALUE.length} bytes, ${new Date().toISOString()}`);
    console.log(`door    target    in flight  member CPU per ${OP} (n1 + n2 + n3) | WAL fsyncs | rate`);
    for (const inFlight of IN_FLIGHT) {
      const puts = inFlight === 1 ? Math.max(1, Math.round(PUTS * LONE_PUTS_SHARE)) : PUTS;
      for (const [target, member] of [['leader', leader], ['follower', follower]].filter(([t]) => TARGETS.includes(t as string)) as [string, string][]) {
        for (const name of DOORS) {
          const door = await openDoor(name, cluster, member);
          try {
            console.log(`${name.padEnd(7)} ${target.padEnd(9)} ${String(inFlight).padStart(9)}  ${await measure(cluster, door, inFlight, puts)}`);
          } finally {
            door.close();
          }
        }
      }
    }
    // A CPU profile is written at a normal exit: SIGTERM stops a member gracefully.
    if (PROFILE_DIR !== undefined) for (const m of cluster.members) await cluster.kill(m.name, 'SIGTERM', 60_000);
  } finally {
    await cluster.stop();
  }
}

await main();
