// The waiting line shared by lock and election (etcd's recipe): each contender owns one key
// under a prefix, created in one txn, so keys are ordered by create revision. A contender
// owns the prefix when no key with a smaller create revision exists. To wait, it watches
// only its immediate predecessor for deletion (no herd: each deletion wakes one waiter),
// then re-checks, because the predecessor may have been deleted while a key before it still
// exists.
import type { KeyValue, LeaseId, Revision } from '@kite/protocol';
import { concat, prefixRangeEnd, toBytes } from './bytes.js';
import type { RecipeClient } from './client-surface.js';
import { RecipeError } from './errors.js';

/** Key of a contender: PREFIX + lease id in hex (unique per session, like etcd). */
export function contenderKey(prefix: Uint8Array, lease: LeaseId): Uint8Array {
  return concat(prefix, toBytes(lease.toString(16)));
}

/** Normalises a recipe name into a key prefix ending in '/'. */
export function recipePrefix(root: string, name: string): Uint8Array {
  if (name === '') throw new RangeError('a lock/election name must not be empty');
  const r = root.endsWith('/') ? root : `${root}/`;
  return toBytes(`${r}${name}/`);
}

export interface Enqueued {
  readonly key: Uint8Array;
  /** The key's create revision: its place in line (and a lock's fencing token). */
  readonly createRevision: Revision;
  /** The owner's key-value right after enqueueing (may be us). */
  readonly owner: KeyValue | undefined;
  /** True when the key already existed (a second call with the same session). */
  readonly existed: boolean;
  readonly value: Uint8Array;
}

/**
 * Creates our key (value, attached to the lease) unless it exists, and reads the current
 * owner (lowest create revision), all in one txn.
 */
export async function enqueue(client: RecipeClient, prefix: Uint8Array, lease: LeaseId, value: Uint8Array, signal?: AbortSignal): Promise<Enqueued> {
  const key = contenderKey(prefix, lease);
  const ownerRange = { type: 'range' as const, key: prefix, rangeEnd: prefixRangeEnd(prefix), sortTarget: 'createRevision' as const, sortOrder: 'ascend' as const, limit: 1 };
  const r = await client.txn({
    compare: [{ key, target: 'createRevision', result: 'equal', value: 0 }],
    success: [{ type: 'put', key, value, lease }, ownerRange],
    failure: [{ type: 'range', key }, ownerRange],
  }, signal !== undefined ? { signal } : {});
  const ownerResp = r.responses[1];
  const owner = ownerResp !== undefined && ownerResp.type === 'range' ? ownerResp.kvs[0] : undefined;
  if (r.succeeded) return { key, createRevision: r.header.revision, owner, existed: false, value };
  const mineResp = r.responses[0];
  const mine = mineResp !== undefined && mineResp.type === 'range' ? mineResp.kvs[0] : undefined;
  if (mine === undefined) {
    // Deleted between the compare and the read is impossible inside one txn.
    throw new Error('recipe invariant broken: txn compare said the key exists but the read found none');
  }
  return { key, createRevision: mine.createRevision, owner, existed: true, value: mine.value };
}

/**
 * Resolves once every key under `prefix` created before `createRevision` is gone. Rejects
 * with RecipeError Canceled when `signal` aborts.
 */
export async function waitPredecessors(client: RecipeClient, prefix: Uint8Array, createRevision: Revision, signal?: AbortSignal): Promise<void> {
  const end = prefixRangeEnd(prefix);
  for (;;) {
    throwIfAborted(signal);
    const r = await client.get(prefix, {
      rangeEnd: end, sortTarget: 'createRevision', sortOrder: 'descend', limit: 1,
      maxCreateRevision: createRevision - 1, ...(signal !== undefined ? { signal } : {}),
    });
    const pred = r.kvs[0];
    if (pred === undefined) return;
    await waitDeleted(client, pred.key, r.header.revision, signal);
  }
}

/** Resolves when `key` is deleted after `sinceRevision`. */
export async function waitDeleted(client: RecipeClient, key: Uint8Array, sinceRevision: Revision, signal?: AbortSignal): Promise<void> {
  throwIfAborted(signal);
  const w = client.watch(key, { startRevision: sinceRevision + 1 });
  const onAbort = (): void => w.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const batch of w) {
      if (batch.events.some((ev) => ev.type === 'delete')) return;
    }
    throwIfAborted(signal);
    throw new RecipeError('Canceled', 'the watch ended before the key was deleted');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    w.cancel();
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    const reason: unknown = signal.reason;
    if (reason instanceof RecipeError) throw reason;
    throw new RecipeError('Canceled', reason instanceof Error ? `canceled: ${reason.message}` : 'canceled', { cause: reason });
  }
}

/** An AbortSignal that fires when the parent fires or the lease is lost. */
export function sessionSignal(lease: { on(event: 'lost', l: (reason: unknown) => void): () => void }, parent?: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const offLost = lease.on('lost', (reason) => ctl.abort(new RecipeError('SessionLost', 'the session lease was lost', { cause: reason })));
  const onParent = (): void => ctl.abort(parent?.reason);
  if (parent?.aborted === true) ctl.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      offLost();
      parent?.removeEventListener('abort', onParent);
    },
  };
}
