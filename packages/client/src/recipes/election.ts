// Leader election (etcd's concurrency.Election shape) on the same waiting line as the lock:
// candidates put `/kite/election/NAME/<lease hex>` = proposal; the leader is the key with the
// smallest create revision. campaign() resolves once we lead; proclaim() changes our value
// only while we still lead (a txn guarded by our key's create revision); resign() deletes
// our key; leader() reads the current leader; observe() yields each new leader (or null).
import type { KeyValue, Revision } from '@kite/protocol';
import { bytesEqual, prefixRangeEnd, toBytes, toText } from './bytes.js';
import type { RecipeClient, RecipeLease } from './client-surface.js';
import { RecipeError } from './errors.js';
import { enqueue, recipePrefix, sessionSignal, throwIfAborted, waitPredecessors } from './queue.js';

export const ELECTION_PREFIX = '/kite/election/';
export const DEFAULT_ELECTION_TTL_SECONDS = 60;

export interface ElectionOptions {
  /** Session lease TTL in seconds when the election grants its own lease. */
  readonly ttl?: number;
  /** Use this (kept-alive) lease instead of granting one; it is not revoked on resign. */
  readonly lease?: RecipeLease;
  /** Key root; default /kite/election/. */
  readonly prefix?: string;
}

export interface LeaderInfo {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly valueText: string;
  readonly createRevision: Revision;
  readonly modRevision: Revision;
}

function info(kv: KeyValue): LeaderInfo {
  return { key: kv.key, value: kv.value, valueText: toText(kv.value), createRevision: kv.createRevision, modRevision: kv.modRevision };
}

export class Election {
  readonly name: string;
  private readonly prefix: Uint8Array;
  private lease: RecipeLease | null;
  private readonly ownLease: boolean;
  private myKey: Uint8Array | null = null;
  private myRev: Revision = 0;

  constructor(
    private readonly client: RecipeClient,
    name: string,
    private readonly opts: ElectionOptions = {},
  ) {
    this.name = name;
    this.prefix = recipePrefix(opts.prefix ?? ELECTION_PREFIX, name);
    this.lease = opts.lease ?? null;
    this.ownLease = opts.lease === undefined;
  }

  /** Our key while campaigning or leading. */
  get key(): Uint8Array | null {
    return this.myKey;
  }

  /** Our key's create revision (0 before campaigning): it orders leaders like a fencing token. */
  get revision(): Revision {
    return this.myRev;
  }

  /** Resolves once we are the leader with `proposal` as the value. */
  async campaign(proposal: string | Uint8Array, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const value = toBytes(proposal);
    this.lease ??= await this.client.lease.grant(this.opts.ttl ?? DEFAULT_ELECTION_TTL_SECONDS, { keepAlive: true });
    const waiting = sessionSignal(this.lease, opts.signal);
    try {
      const q = await enqueue(this.client, this.prefix, this.lease.id, value, waiting.signal);
      this.myKey = q.key;
      this.myRev = q.createRevision;
      if (q.existed && !bytesEqual(q.value, value)) await this.proclaim(value);
      await waitPredecessors(this.client, this.prefix, q.createRevision, waiting.signal);
      throwIfAborted(waiting.signal);
    } catch (err) {
      await this.resign().catch(() => undefined);
      throw err;
    } finally {
      waiting.dispose();
    }
  }

  /** Sets a new value while we lead; RecipeError NotElectionLeader otherwise. */
  async proclaim(value: string | Uint8Array): Promise<void> {
    const key = this.myKey;
    if (key === null || this.lease === null) throw new RecipeError('NotElectionLeader', `election ${this.name}: not campaigning`);
    const r = await this.client.txn({
      compare: [{ key, target: 'createRevision', result: 'equal', value: this.myRev }],
      success: [{ type: 'put', key, value: toBytes(value), lease: this.lease.id }],
      failure: [],
    });
    if (!r.succeeded) {
      this.myKey = null;
      throw new RecipeError('NotElectionLeader', `election ${this.name}: our key is gone (session lost or resigned)`);
    }
  }

  /** Gives up leadership (or candidacy). Idempotent. */
  async resign(): Promise<void> {
    const key = this.myKey;
    this.myKey = null;
    if (this.ownLease && this.lease !== null) {
      const lease = this.lease;
      this.lease = null;
      await lease.revoke();
      return;
    }
    if (key !== null) {
      await this.client.txn({
        compare: [{ key, target: 'createRevision', result: 'equal', value: this.myRev }],
        success: [{ type: 'deleteRange', key }],
        failure: [],
      });
    }
  }

  /** The current leader, or null when nobody campaigns. */
  async leader(): Promise<LeaderInfo | null> {
    const r = await this.client.get(this.prefix, { rangeEnd: prefixRangeEnd(this.prefix), sortTarget: 'createRevision', sortOrder: 'ascend', limit: 1 });
    const kv = r.kvs[0];
    return kv === undefined ? null : info(kv);
  }

  /**
   * Yields the leader now and on every change (new leader, new value, or null when the last
   * candidate leaves). Ends when `signal` aborts or the consumer stops iterating.
   */
  async *observe(opts: { signal?: AbortSignal } = {}): AsyncGenerator<LeaderInfo | null> {
    const end = prefixRangeEnd(this.prefix);
    const first = await this.client.get(this.prefix, { rangeEnd: end, sortTarget: 'createRevision', sortOrder: 'ascend', limit: 1 });
    let current = first.kvs[0] !== undefined ? info(first.kvs[0]) : null;
    yield current;
    const w = this.client.watch(this.prefix, { rangeEnd: end, startRevision: first.header.revision + 1 });
    const onAbort = (): void => w.cancel();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const batch of w) {
        if (batch.events.length === 0) continue;
        const next = await this.leader();
        if (!sameLeader(current, next)) {
          current = next;
          yield current;
        }
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      w.cancel();
    }
  }
}

function sameLeader(a: LeaderInfo | null, b: LeaderInfo | null): boolean {
  if (a === null || b === null) return a === b;
  return a.createRevision === b.createRevision && a.modRevision === b.modRevision;
}

export function election(client: RecipeClient, name: string, opts: ElectionOptions = {}): Election {
  return new Election(client, name, opts);
}
