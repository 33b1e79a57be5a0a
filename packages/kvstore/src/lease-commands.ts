// Applying the replicated lease commands: grant (ids derived from the Raft index when the
// client leaves it to the server, so every replica picks the same), revoke (the lease's keys
// deleted in one revision, in key order), and checkpoints of remaining TTLs.

import { assert } from './assert.js';
import type { BackendOp } from './backend/backend.js';
import type { ChangeSet } from './change-set.js';
import { LeaseExistsError, LeaseNotFoundError } from './errors.js';
import { encodeLease, leaseKey } from './layout.js';
import { Lease } from './lessor.js';
import type { MvccState } from './mvcc.js';
import type { LeaseCheckpointArgs, LeaseGrantArgs, LeaseGrantResult } from './types.js';

/** Raft-index-derived lease ids: an odd multiplier is a bijection modulo 2^48. */
export function leaseIdFromIndex(index: number): number {
  const mixed = Number((BigInt(index) * 0x9e3779b97f4bn) & 0xffffffffffffn);
  return mixed === 0 ? 1 : mixed;
}

export function grantLease(
  state: MvccState,
  args: LeaseGrantArgs,
  index: number,
  minTtlSeconds: number,
  nowMs: number,
  ops: BackendOp[],
): LeaseGrantResult {
  const lessor = state.lessor;
  let id = args.id ?? 0;
  if (id !== 0) {
    if (lessor.has(id)) throw new LeaseExistsError(id);
  } else {
    id = leaseIdFromIndex(index);
    while (lessor.has(id)) id++; // deterministic: every replica has the same leases
  }
  const ttl = Math.max(args.ttl, minTtlSeconds);
  lessor.add(new Lease(id, ttl, 0), nowMs);
  ops.push({ type: 'put', key: leaseKey(id), value: encodeLease({ id, ttlSeconds: ttl, remainingTtlMs: 0 }) });
  return { id, ttl };
}

/** Deletes the lease's keys through `changes` (one revision), then the lease. */
export function revokeLease(state: MvccState, id: number, changes: ChangeSet, ops: BackendOp[]): void {
  const lease = state.lessor.get(id);
  if (lease === undefined) throw new LeaseNotFoundError(id);
  for (const key of [...lease.keys].sort()) {
    const ki = state.tree.get(key);
    assert(ki !== undefined && ki.alive, `lease ${id} holds missing key ${key}`);
    changes.deleteKey(ki);
  }
  state.lessor.remove(id);
  ops.push({ type: 'del', key: leaseKey(id) });
}

export function checkpointLeases(state: MvccState, args: LeaseCheckpointArgs, ops: BackendOp[]): void {
  for (const cp of args.checkpoints) {
    const lease = state.lessor.get(cp.id);
    if (lease === undefined) continue; // revoked since the leader took it (etcd ignores these too)
    lease.remainingTtlMs = cp.remainingTtlMs;
    ops.push({
      type: 'put',
      key: leaseKey(lease.id),
      value: encodeLease({ id: lease.id, ttlSeconds: lease.ttlSeconds, remainingTtlMs: cp.remainingTtlMs }),
    });
  }
}
