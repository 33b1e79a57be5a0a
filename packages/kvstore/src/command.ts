// Versioned encoding of the replicated commands (Raft entry payloads of the kv state machine).
// Wire form: a msgpack array [COMMAND_VERSION, op, args]. Decoding checks only the envelope;
// argument validation is validate.ts's job and happens at apply time, identically on every
// replica, so a bad command yields the same typed error everywhere instead of a crash.

import { Packr } from 'msgpackr';
import { MalformedCommandError } from './errors.js';
import type { AuditAppendArgs, AuditContext } from './audit.js';
import type { AuthAction } from './auth-state.js';
import type {
  CompactArgs,
  DeleteRangeArgs,
  LeaseCheckpointArgs,
  LeaseGrantArgs,
  LeaseRevokeArgs,
  PutArgs,
  TxnArgs,
} from './types.js';

/** Bump when the encoding changes incompatibly; decoders refuse versions they do not know. */
export const COMMAND_VERSION = 1;

export type Command = CommandBody & {
  /** Who asked, recorded in the audit trail in the same apply (absent: not audited). */
  readonly audit?: AuditContext;
};

export type CommandBody =
  | { readonly op: 'put'; readonly args: PutArgs }
  | { readonly op: 'deleteRange'; readonly args: DeleteRangeArgs }
  | { readonly op: 'txn'; readonly args: TxnArgs }
  | { readonly op: 'compact'; readonly args: CompactArgs }
  | { readonly op: 'leaseGrant'; readonly args: LeaseGrantArgs }
  | { readonly op: 'leaseRevoke'; readonly args: LeaseRevokeArgs }
  | { readonly op: 'leaseCheckpoint'; readonly args: LeaseCheckpointArgs }
  /** A change of users, roles, permissions or the enabled flag (auth-state.ts). */
  | { readonly op: 'auth'; readonly args: AuthAction }
  /** Audit records of requests refused before Raft (and member/alarm changes). */
  | { readonly op: 'auditAppend'; readonly args: AuditAppendArgs }
  /** Advances the applied index only (Raft no-ops, conf changes, foreign entries). */
  | { readonly op: 'noop' };

export type CommandOp = Command['op'];

const OPS: ReadonlySet<string> = new Set<CommandOp>([
  'put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseCheckpoint', 'auth', 'auditAppend', 'noop',
]);

// useRecords off: the encoding must not depend on a shared structure table across entries.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeCommand(cmd: Command): Uint8Array {
  const body = [COMMAND_VERSION, cmd.op, 'args' in cmd ? cmd.args : null];
  // An audited command carries a 4th element; unaudited ones keep the 3-element form.
  return packr.pack(cmd.audit === undefined ? body : [...body, cmd.audit]);
}

/** Throws MalformedCommandError for anything that is not a known, versioned command envelope. */
export function decodeCommand(data: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (err) {
    throw new MalformedCommandError(`command is not valid msgpack: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw) || (raw.length !== 3 && raw.length !== 4)) throw new MalformedCommandError('command is not a [version, op, args, audit?] array');
  const [version, op, args, audit] = raw as [unknown, unknown, unknown, unknown];
  if (version !== COMMAND_VERSION) throw new MalformedCommandError(`unknown command version ${String(version)}`);
  if (typeof op !== 'string' || !OPS.has(op)) throw new MalformedCommandError(`unknown command op ${String(op)}`);
  if (op === 'noop') return { op: 'noop' };
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new MalformedCommandError(`command ${op} has no argument object`);
  }
  // The shapes of args and audit are checked by validate.ts at apply time.
  return (raw.length === 4 ? { op, args, audit } : { op, args }) as Command;
}
