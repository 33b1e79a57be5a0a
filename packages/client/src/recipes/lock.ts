// A distributed lock (etcd's concurrency.Mutex shape). Each contender puts one key
// `/kite/lock/NAME/<lease hex>` attached to a lease it keeps alive; the holder is the key
// with the smallest create revision, so waiters are served first-come first-served, and
// each waits only on its immediate predecessor. Ownership is bounded by the lease: if the
// holder stops renewing, the key goes with the lease and the next waiter proceeds.
// The fencing token is the holder key's create revision: cluster-wide revisions only grow,
// so every later holder has a larger token; storage that checks it rejects a stale holder.
import type { LeaseId, Revision } from '@kite/protocol';
import { toBytes, toText } from './bytes.js';
import type { RecipeClient, RecipeLease } from './client-surface.js';
import { RecipeError } from './errors.js';
import { enqueue, recipePrefix, sessionSignal, waitPredecessors } from './queue.js';

export const LOCK_PREFIX = '/kite/lock/';
export const DEFAULT_LOCK_TTL_SECONDS = 60;

export interface LockOptions {
  /** Session lease TTL in seconds when the lock grants its own lease. */
  readonly ttl?: number;
  /** Use this (kept-alive) lease instead of granting one; it is not revoked on unlock. */
  readonly lease?: RecipeLease;
  /** Stop waiting (the key is removed) when this fires. */
  readonly signal?: AbortSignal;
  /** Key root; default /kite/lock/. */
  readonly prefix?: string;
  /** Stored as the key's value (who holds it, for people reading the keyspace). */
  readonly owner?: string;
}

export interface LockHandle {
  readonly name: string;
  /** The key that holds the lock. */
  readonly key: Uint8Array;
  readonly keyText: string;
  /** The fencing token: the holding key's create revision (strictly increasing per lock). */
  readonly fencingToken: Revision;
  readonly lease: LeaseId;
  /** Aborts when the lease is lost: the lock may already be held by someone else. */
  readonly lost: AbortSignal;
  /** Releases the lock (deletes the key; revokes the lease if the lock granted it). Idempotent. */
  unlock(): Promise<void>;
}

export async function lock(client: RecipeClient, name: string, opts: LockOptions = {}): Promise<LockHandle> {
  const prefix = recipePrefix(opts.prefix ?? LOCK_PREFIX, name);
  const ownLease = opts.lease === undefined;
  const lease = opts.lease ?? await client.lease.grant(opts.ttl ?? DEFAULT_LOCK_TTL_SECONDS, { keepAlive: true });
  const waiting = sessionSignal(lease, opts.signal);
  let key: Uint8Array | undefined;
  try {
    const q = await enqueue(client, prefix, lease.id, toBytes(opts.owner ?? ''), waiting.signal);
    key = q.key;
    if (q.owner === undefined || q.owner.createRevision !== q.createRevision) {
      await waitPredecessors(client, prefix, q.createRevision, waiting.signal);
    }
    // Our key must still be ours: a lease lost while waiting deleted it.
    const mine = await client.get(q.key);
    if (mine.kvs[0]?.createRevision !== q.createRevision) {
      throw new RecipeError('SessionLost', `lock ${name}: our key ${toText(q.key)} disappeared while waiting (lease lost)`);
    }
    waiting.dispose();
    return makeHandle(client, name, q.key, q.createRevision, lease, ownLease);
  } catch (err) {
    waiting.dispose();
    await cleanup(client, key, lease, ownLease);
    throw err;
  }
}

async function cleanup(client: RecipeClient, key: Uint8Array | undefined, lease: RecipeLease, ownLease: boolean): Promise<void> {
  // Best effort: if the cluster is unreachable the lease expiry removes the key anyway.
  try {
    if (ownLease) await lease.revoke();
    else if (key !== undefined) await client.delete(key);
  } catch {
    /* the lease TTL bounds how long a stale key can block others */
  }
}

function makeHandle(client: RecipeClient, name: string, key: Uint8Array, token: Revision, lease: RecipeLease, ownLease: boolean): LockHandle {
  const lostCtl = new AbortController();
  const offLost = lease.on('lost', (reason) => lostCtl.abort(new RecipeError('SessionLost', `lock ${name}: lease lost`, { cause: reason })));
  let released: Promise<void> | null = null;
  return {
    name, key, keyText: toText(key), fencingToken: token, lease: lease.id, lost: lostCtl.signal,
    unlock: () => {
      released ??= (async () => {
        offLost();
        if (ownLease) await lease.revoke();
        else await client.delete(key);
      })();
      return released;
    },
  };
}
