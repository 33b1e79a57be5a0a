// How the etcd services (lease, cluster, maintenance, auth) run a Kite op for one gRPC call:
// the request is built from the call's fields, validated like a WebSocket request, and served
// by OpServer.serve with the call's session, so the one authorization point decides and a
// follower forwards writes as it does for every door. Also the id conversions these services
// share: etcd's uint64 member ids and int64 lease ids, carried as decimal strings.
//
// Invariants: a Kite error reply becomes a thrown KiteError (the door maps it to etcd's status
// and message); an id that does not fit what Kite stores is refused with InvalidArgument
// before anything is served, never rounded.

import { KiteError, fromWireError, type OpArgs, type OpName, type OpResult, type Request } from '@kite/protocol';
import type { ClientBackend } from '../client-handler.js';
import type { SnapshotStream } from '../client-handler.js';
import { validateRequest, type ValidationLimits } from '../validate.js';
import type { EtcdCallContext } from './etcd-context.js';
import { etcdHeader, type EtcdHeader } from './header.js';

/** One op's etcd header and Kite result. */
export interface OpOutcome<O extends OpName> {
  readonly header: EtcdHeader;
  readonly result: OpResult<O>;
}

/** What the services need from the member. */
export interface EtcdOps {
  run<O extends OpName>(ctx: EtcdCallContext, op: O, args: OpArgs<O>): Promise<OpOutcome<O>>;
  /** The header of an answer that needed no op (etcd fills one on every response). */
  header(): EtcdHeader;
  /** This member's backup stream (authorized for the call's caller; root only with auth on). */
  openSnapshot(ctx: EtcdCallContext): SnapshotStream;
}

export function etcdOps(backend: ClientBackend, limits: ValidationLimits): EtcdOps {
  return {
    async run<O extends OpName>(ctx: EtcdCallContext, op: O, args: OpArgs<O>): Promise<OpOutcome<O>> {
      const req = { ...args, id: 0, op } as unknown as Request;
      validateRequest(req, limits);
      const reply = await backend.serve(req, ctx.session);
      if (!reply.ok) throw fromWireError(reply.error);
      const { id: _id, ok: _ok, header, ...result } = reply;
      return { header: etcdHeader(header), result: result as unknown as OpResult<O> };
    },
    header: () => etcdHeader(backend.header()),
    openSnapshot: (ctx) => backend.openSnapshot({ id: 0, op: 'snapshot' }, ctx.session),
  };
}

/**
 * An error etcd answers with a status and message Kite has no error code for (e.g. "etcdserver:
 * user name not found"); the door sends it as it is.
 */
export class EtcdError extends Error {
  override readonly name = 'EtcdError';
  constructor(
    /** The gRPC status code's name, e.g. FAILED_PRECONDITION. */
    readonly grpcCode: EtcdStatusName,
    message: string,
  ) {
    super(message);
  }
}

export type EtcdStatusName = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED' | 'UNIMPLEMENTED' | 'OUT_OF_RANGE';

const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A proto int64 field (a decimal string; a number from a JSON client; absent = 0) as a safe integer. */
export function int64Arg(value: unknown, field: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = toBigInt(value, field);
  if (n < -INT64_MAX - 1n || n > INT64_MAX) throw new KiteError('InvalidArgument', `${field} is not an int64`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new KiteError('InvalidArgument', `${field} ${n} is larger than Kite supports (at most ${Number.MAX_SAFE_INTEGER})`);
  }
  return Number(n);
}

/** A member id as etcd carries it (uint64, decimal string) in Kite's form (16 hex digits); null for 0. */
export function memberIdArg(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  const n = toBigInt(value, field);
  if (n < 0n || n > UINT64_MAX) throw new KiteError('InvalidArgument', `${field} is not a uint64`);
  return n === 0n ? null : n.toString(16).padStart(16, '0');
}

/** Kite's member id (hex) as etcd's uint64, a decimal string; "0" for none. */
export function memberIdOut(id: string | null): string {
  return id === null || id === '' ? '0' : BigInt(`0x${id}`).toString();
}

function toBigInt(value: unknown, field: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  throw new KiteError('InvalidArgument', `${field} must be an integer`);
}

/**
 * A Kite refusal that etcd answers with its own status and message (matched on Kite's code and
 * message, which Kite keeps stable): clients match etcd's strings, e.g. "etcdserver: member not
 * found".
 */
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
