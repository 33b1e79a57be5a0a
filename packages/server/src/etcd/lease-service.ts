// etcd's Lease service on Kite's lease ops: Grant, Revoke, TimeToLive and Leases are one op
// each through OpServer.serve (the one authorization point); KeepAlive is a bidi stream that
// answers every request with one response, in request order, as etcd's server does.
//
// Invariants: an unknown or expired lease answers KeepAlive with TTL 0 and TimeToLive with
// TTL -1 (etcd's answers, not errors); any other failure ends the KeepAlive stream with the
// error. A stream holds at most KEEPALIVE_QUEUE_MAX requests not yet answered; a client that
// sends more without reading is cut off with RESOURCE_EXHAUSTED instead of queueing without
// bound.

import { KiteError } from '@kite/protocol';
import type { EtcdCallContext } from './etcd-context.js';
import { int64Of } from './etcd-values.js';
import type { EtcdMessage, ServiceHandlers, StreamHandler } from './handlers.js';
import { EtcdError } from './etcd-status-error.js';
import { withEtcdErrors, type EtcdErrorRule, type EtcdOps } from './service-call.js';

/** KeepAlive requests of one stream waiting for their answer (each is one leader round). */
export const KEEPALIVE_QUEUE_MAX = 256;

/** Kite's lease refusals as etcd words them (etcd's TTL ceiling is Kite's: 9e9 s). */
export const LEASE_ERROR_RULES: readonly EtcdErrorRule[] = [
  { code: 'InvalidArgument', match: /^lease TTL \d+ s is too large/, grpcCode: 'OUT_OF_RANGE', message: 'etcdserver: too large lease TTL' },
];

export function leaseService(leaseOps: EtcdOps): ServiceHandlers {
  const ops = withEtcdErrors(leaseOps, LEASE_ERROR_RULES);
  return {
    unary: {
      LeaseGrant: async (req, ctx) => {
        const leaseId = int64Of(req, 'ID');
        // etcd raises a TTL below its minimum (negatives too) to the minimum; so does Kite from 0.
        const ttl = Math.max(0, int64Of(req, 'TTL'));
        const { header, result } = await ops.run(ctx, 'leaseGrant', { ttl, ...(leaseId !== 0 ? { leaseId } : {}) });
        return { header, ID: String(result.leaseId), TTL: String(result.ttl), error: '' };
      },
      LeaseRevoke: async (req, ctx) => {
        const { header } = await ops.run(ctx, 'leaseRevoke', { leaseId: leaseIdOf(req) });
        return { header };
      },
      LeaseTimeToLive: async (req, ctx) => {
        const id = int64Of(req, 'ID');
        // No lease has an id <= 0: etcd's answer for a lease it does not know.
        if (id <= 0) return { header: ops.header(), ID: String(id), TTL: '-1', grantedTTL: '0', keys: [] };
        const { header, result } = await ops.run(ctx, 'leaseTimeToLive', { leaseId: id, keys: req['keys'] === true });
        return {
          header,
          ID: String(id),
          TTL: String(result.ttl),
          grantedTTL: String(result.grantedTtl),
          keys: (result.keys ?? []).map((k) => Buffer.from(k)),
        };
      },
      LeaseLeases: async (_req, ctx) => {
        const { header, result } = await ops.run(ctx, 'leaseLeases', {});
        return { header, leases: result.leases.map((l) => ({ ID: String(l.id) })) };
      },
    },
    streams: { LeaseKeepAlive: keepAliveStream(ops) },
  };
}

/** Lease ids are positive; 0 and negatives name no lease (LeaseNotFound, as etcd answers). */
function leaseIdOf(req: EtcdMessage): number {
  const id = int64Of(req, 'ID');
  if (id <= 0) throw new KiteError('LeaseNotFound', `lease ${id} not found`);
  return id;
}

function keepAliveStream(ops: EtcdOps): StreamHandler {
  return (ctx: EtcdCallContext, send, end) => {
    let queued = 0;
    let closed = false;
    // One renewal at a time, so responses leave in request order.
    let tail: Promise<void> = Promise.resolve();
    const fail = (err: unknown): void => {
      if (closed) return;
      closed = true;
      end(err);
    };
    return {
      write(req) {
        if (closed) return;
        if (queued >= KEEPALIVE_QUEUE_MAX) {
          fail(new EtcdError('RESOURCE_EXHAUSTED', 'etcdserver: too many requests'));
          return;
        }
        queued++;
        tail = tail.then(async () => {
          try {
            // One response per request: the transport's buffer is bounded by the queue above.
            if (!closed) send(await renew(ops, ctx, req));
          } catch (err) {
            fail(err);
          } finally {
            queued--;
          }
        });
      },
      close() {
        closed = true;
      },
    };
  };
}

async function renew(ops: EtcdOps, ctx: EtcdCallContext, req: EtcdMessage): Promise<EtcdMessage> {
  const id = int64Of(req, 'ID');
  try {
    const { header, result } = await ops.run(ctx, 'leaseKeepAlive', { leaseId: leaseIdOf(req) });
    return { header, ID: String(id), TTL: String(result.ttl) };
  } catch (err) {
    // etcd answers a keepalive for an unknown or expired lease with TTL 0; the client stops.
    if (err instanceof KiteError && err.code === 'LeaseNotFound') return { header: ops.header(), ID: String(id), TTL: '0' };
    throw err;
  }
}
