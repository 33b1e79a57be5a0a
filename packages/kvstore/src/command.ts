// Versioned encoding of the replicated commands (Raft entry payloads of the kv state machine).
// Wire form: a msgpack array [COMMAND_VERSION, op, args]. Decoding checks only the envelope;
// argument validation is validate.ts's job and happens at apply time, identically on every
// replica, so a bad command yields the same typed error everywhere instead of a crash.

import { Packr } from 'msgpackr';
import { MalformedCommandError } from './errors.js';
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

export type Command =
  | { readonly op: 'put'; readonly args: PutArgs }
  | { readonly op: 'deleteRange'; readonly args: DeleteRangeArgs }
  | { readonly op: 'txn'; readonly args: TxnArgs }
  | { readonly op: 'compact'; readonly args: CompactArgs }
  | { readonly op: 'leaseGrant'; readonly args: LeaseGrantArgs }
  | { readonly op: 'leaseRevoke'; readonly args: LeaseRevokeArgs }
  | { readonly op: 'leaseCheckpoint'; readonly args: LeaseCheckpointArgs }
  /** A change of users, roles, permissions or the enabled flag (auth-state.ts). */
  | { readonly op: 'auth'; readonly args: AuthAction }
  /** Advances the applied index only (Raft no-ops, conf changes, foreign entries). */
  | { readonly op: 'noop' };

export type CommandOp = Command['op'];

const OPS: ReadonlySet<string> = new Set<CommandOp>([
  'put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseCheckpoint', 'auth', 'noop',
]);

// useRecords off: the encoding must not depend on a shared structure table across entries.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function encodeCommand(cmd: Command): Uint8Array {
  return packr.pack([COMMAND_VERSION, cmd.op, 'args' in cmd ? cmd.args : null]);
}

/** Throws MalformedCommandError for anything that is not a known, versioned command envelope. */
export function decodeCommand(data: Uint8Array): Command {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (err) {
    throw new MalformedCommandError(`command is not valid msgpack: ${(err as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length !== 3) throw new MalformedCommandError('command is not a [version, op, args] array');
  const [version, op, args] = raw as [unknown, unknown, unknown];
  if (version !== COMMAND_VERSION) throw new MalformedCommandError(`unknown command version ${String(version)}`);
  if (typeof op !== 'string' || !OPS.has(op)) throw new MalformedCommandError(`unknown command op ${String(op)}`);
  if (op === 'noop') return { op: 'noop' };
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new MalformedCommandError(`command ${op} has no argument object`);
  }
  // The shape of args is checked by validate.ts at apply time.
  return { op, args } as Command;
}
