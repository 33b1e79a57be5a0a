// What the etcd Lease, Cluster, Maintenance and Auth services need from the member, as one
// small interface (EtcdOps) so their logic is tested against a scripted member: run a Kite op
// for a call (serveOp: validated, then OpServer.serve with the call's session, the one
// authorization point), the header of an answer that needed no op, and this member's backup
// stream. Also the errors etcd words differently from Kite, and the member id conversions
// these services share.
//
// Invariants: a Kite refusal keeps its KiteError unless a service's rule names etcd's own
// status and message for it (EtcdError, passed through by etcd-errors.ts as it is).

import { KiteError, type OpArgs, type OpName, type OpResult } from '@kite/protocol';
import type { SnapshotStream } from '../client-handler.js';
import type { EtcdCallContext } from './etcd-context.js';
import type { EtcdServiceDeps } from './handlers.js';
import { etcdHeader, idToUint64, uint64ToId, type EtcdResponseHeader } from './header.js';
import { serveOp } from './serve-op.js';
import { EtcdError, type EtcdStatusName } from './etcd-status-error.js';

/** One op's etcd header and Kite result. */
export interface OpOutcome<O extends OpName> {
  readonly header: EtcdResponseHeader;
  readonly result: OpResult<O>;
}

export interface EtcdOps {
  run<O extends OpName>(ctx: EtcdCallContext, op: O, args: OpArgs<O>): Promise<OpOutcome<O>>;
  /** The header of an answer that needed no op (etcd fills one in on every response). */
  header(): EtcdResponseHeader;
  /** This member's backup stream, authorized for the call's caller (root only with auth on). */
  openSnapshot(ctx: EtcdCallContext): SnapshotStream;
}

export function etcdOps(deps: EtcdServiceDeps): EtcdOps {
  return {
    async run<O extends OpName>(ctx: EtcdCallContext, op: O, args: OpArgs<O>): Promise<OpOutcome<O>> {
      const { id: _id, ok: _ok, header, ...result } = await serveOp(deps, ctx, op, args);
      return { header: etcdHeader(header), result: result as unknown as OpResult<O> };
    },
    header: () => etcdHeader(deps.ops.header()),
    openSnapshot: (ctx) => deps.ops.openSnapshot({ id: 0, op: 'snapshot' }, ctx.session),
  };
}

/** A Kite refusal (its code and stable message) that etcd answers with its own status and words. */
export interface EtcdErrorRule {
  readonly code: KiteError['code'];
  readonly match: RegExp;
  readonly grpcCode: EtcdStatusName;
  readonly message: string;
}

/** `ops` whose runs answer a refusal matching one of `rules` with etcd's error. */
export function withEtcdErrors(ops: EtcdOps, rules: readonly EtcdErrorRule[]): EtcdOps {
  return {
    ...ops,
    async run(ctx, op, args) {
      try {
        return await ops.run(ctx, op, args);
      } catch (err) {
        throw etcdErrorOf(err, rules);
      }
    },
  };
}

export function etcdErrorOf(err: unknown, rules: readonly EtcdErrorRule[]): unknown {
  if (!(err instanceof KiteError)) return err;
  const rule = rules.find((r) => r.code === err.code && r.match.test(err.message));
  return rule === undefined ? err : new EtcdError(rule.grpcCode, rule.message);
}

/** A uint64 member id field as Kite's hex id; null for 0 or absent (etcd's "no member"). */
export function memberIdArg(value: unknown): string | null {
  if (value === undefined || value === null || value === '' || value === '0' || value === 0) return null;
  return uint64ToId(value);
}

/** Kite's member id as etcd's uint64 ("0" for none). */
export function memberIdOut(id: string | null): string {
  return id === null || id === '' ? '0' : idToUint64(id);
}
