// What an upgrade test compares before and after a restart: one member's keys under `u/`
// (serializable, so a member that just converted its data dir answers from its own state) and
// its store hash at the same revision.
import type { Cluster } from './cluster.js';
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
