// What an upgrade test compares before and after a restart: one member's keys under `u/`
// (serializable, so a member that just converted its data dir answers from its own state) and
// its store hash at the same revision.
import { expect } from 'vitest';
import { waitFor, type Cluster } from './cluster.js';
import { WireClient, b, ok, str } from './wire.js';

export async function keysAndHash(cluster: Cluster, name: string): Promise<{ values: string[]; hash: number }> {
  const c = await WireClient.connect(cluster.clientUrl(name));
  try {
    const got = ok(await c.request('range', { key: b('u/'), rangeEnd: b('u0'), serializable: true }));
    const hash = ok(await c.request('hash', { revision: got.header.revision }));
    return { values: got.kvs.map((kv) => `${str(kv.key)}=${str(kv.value)}@${kv.modRevision}`), hash: hash.hash };
  } finally {
    c.close();
  }
}

/** After an upgrade: a write through the leader reaches every member (bounded wait). */
export async function expectWriteReachesAll(cluster: Cluster, members: readonly string[]): Promise<void> {
  const w = await WireClient.connect(cluster.clientUrl(await cluster.leader()));
  const put = ok(await w.request('put', { key: b('u/new'), value: b('after') }));
  w.close();
  for (const name of members) {
    await waitFor(`${name} to apply the new write`, 15_000, async () => ((await keysAndHash(cluster, name)).values.includes(`u/new=after@${put.header.revision}`) ? true : undefined));
  }
}

/** Restarts every member (SIGTERM, exit 0) and returns what each logged in the new run. */
export async function restartAndLogs(cluster: Cluster, members: readonly string[]): Promise<Map<string, string>> {
  for (const name of members) expect(await cluster.kill(name, 'SIGTERM')).toBe(0);
  const start = new Map(members.map((n) => [n, cluster.log(n).length]));
  await cluster.startAll();
  return new Map(members.map((n) => [n, cluster.log(n).slice(start.get(n))]));
}
