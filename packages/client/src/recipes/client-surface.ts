// The narrow slice of the client the recipes use. Recipes depend on this shape, not on the
// Client class, so they can be unit-tested against an in-memory model of the store and so a
// Client (which satisfies it structurally) is all a user passes in.
import type {
  DeleteRangeResult, LeaseId, RangeArgs, RangeResult, ResponseHeader, Revision, TxnArgs, TxnResult, WatchEvent,
} from '@kite/protocol';

export interface Headed {
  readonly header: ResponseHeader;
}

export type RecipeGetOptions = Omit<RangeArgs, 'key'> & { readonly signal?: AbortSignal };

export interface RecipeWatchBatch {
  readonly header: ResponseHeader;
  readonly events: readonly WatchEvent[];
  readonly progress: boolean;
  readonly revision: Revision;
}

export interface RecipeWatch extends AsyncIterable<RecipeWatchBatch> {
  cancel(): void;
}

export interface RecipeWatchOptions {
  readonly rangeEnd?: Uint8Array;
  readonly startRevision?: Revision;
  readonly prevKv?: boolean;
}

export interface RecipeLease {
  readonly id: LeaseId;
  readonly ttl: number;
  /** `lost`: the lease expired or keepalives failed for longer than its TTL. */
  on(event: 'lost', listener: (reason: unknown) => void): () => void;
  revoke(): Promise<unknown>;
}

export interface RecipeClient {
  get(key: Uint8Array, opts?: RecipeGetOptions): Promise<Headed & RangeResult>;
  delete(key: Uint8Array, opts?: { readonly rangeEnd?: Uint8Array; readonly prevKv?: boolean }): Promise<Headed & DeleteRangeResult>;
  txn(args: TxnArgs, opts?: { readonly signal?: AbortSignal }): Promise<Headed & TxnResult>;
  watch(key: Uint8Array, opts?: RecipeWatchOptions): RecipeWatch;
  readonly lease: {
    grant(ttl: number, opts?: { readonly keepAlive?: boolean }): Promise<RecipeLease>;
  };
}
