// End-of-run evidence shared by the workloads. After the heal, each member is read on its own
// (serializable reads over a link to that member only, at one common revision once it has
// applied it), so a member that lost or diverged data shows up as its own final read; the
// members' hashes at that revision are recorded too. A member that still answers FutureRevision
// after the catch-up wait is recorded as behind (final-read-behind).

import { isKiteError, type KiteClient } from '@kite/client';
import type { Json } from '../history/index.js';
import { monotonicMs, sleep } from '../util/time.js';
import type { WorkloadContext } from './types.js';

/** How long a member may take to catch up with the final revision. */
export const CATCH_UP_MS_MAX = 15_000;
const RETRY_MS = 200;

export interface NodeRead {
  readonly node: string;
  readonly revision: number;
  readonly kvs: ReadonlyMap<string, string>;
}

/** A linearizable read of the whole prefix (through the leader): the reference revision. */
export async function referenceRevision(ctx: WorkloadContext, prefix: string): Promise<number> {
  const c = await ctx.cluster.adminClient();
  const deadline = monotonicMs() + CATCH_UP_MS_MAX;
  for (;;) {
    try {
      return (await c.get(prefix, { prefix: true, countOnly: true, timeoutMs: 5_000 })).header.revision;
    } catch (err) {
      if (monotonicMs() > deadline) throw err;
      await sleep(RETRY_MS);
    }
  }
}

async function withNodeClient<T>(ctx: WorkloadContext, node: string, f: (c: KiteClient) => Promise<T>): Promise<T> {
  const c = await ctx.cluster.connect({ endpoints: [ctx.cluster.clientUrl(node)], preferLeader: false, timeoutMs: 5_000, retries: 2 });
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

/**
 * Reads `prefix` on every running member at `revision` (waiting for each to apply it) and
 * records final-read and final-hash observations. Returns the reads that succeeded.
 */
export async function readEveryNode(
  ctx: WorkloadContext,
  prefix: string,
  revision: number,
  decode: (value: string) => Json,
): Promise<NodeRead[]> {
  const out: NodeRead[] = [];
  for (const node of ctx.cluster.runningNames()) {
    const deadline = monotonicMs() + CATCH_UP_MS_MAX;
    let lastError = '';
    let behind = false;
    while (monotonicMs() < deadline) {
      try {
        const read = await withNodeClient(ctx, node, async (c) => {
          const r = await c.get(prefix, { prefix: true, serializable: true, revision, timeoutMs: 5_000 });
          const h = await c.hash(revision, { timeoutMs: 5_000 }).catch(() => null);
          return { r, h };
        });
        const kvs = new Map(read.r.kvs.map((kv) => [Buffer.from(kv.key).toString('utf8'), Buffer.from(kv.value).toString('utf8')]));
        const json: Record<string, Json> = {};
        for (const [k, v] of kvs) json[k] = decode(v);
        ctx.recorder.observe(node, 'final-read', { node, revision, kvs: json });
        if (read.h !== null) ctx.recorder.observe(node, 'final-hash', { node, revision, hash: read.h.hash });
        out.push({ node, revision, kvs });
        lastError = '';
        break;
      } catch (err) {
        lastError = isKiteError(err) ? `${err.code}: ${err.message}` : String(err);
        behind = isKiteError(err, 'FutureRevision');
        await sleep(RETRY_MS);
      }
    }
    if (lastError !== '') ctx.log(`final read of ${node} failed: ${lastError}`);
    // A running member still short of the revision the cluster reached, after the whole
    // catch-up wait, lost or skipped entries (or is stuck): evidence for the durability checker.
    if (lastError !== '' && behind) ctx.recorder.observe(node, 'final-read-behind', { node, revision, error: lastError.slice(0, 300) });
  }
  return out;
}
