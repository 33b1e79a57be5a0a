// The shapes the formatters print. They are structural views of the client's replies (the
// SDK's objects satisfy them), so formatting stays pure and testable without a server.

export interface HeaderView {
  readonly clusterId?: string | number;
  readonly memberId?: string | number;
  readonly revision: number;
  readonly raftTerm?: number;
}

export interface KvView {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly lease?: number;
}

export interface RangeView {
  readonly header?: HeaderView;
  readonly kvs: readonly KvView[];
  readonly more?: boolean;
  readonly count: number;
}

export interface PutView {
  readonly header?: HeaderView;
  readonly prevKv?: KvView | undefined;
}

export interface DeleteView {
  readonly header?: HeaderView;
  readonly deleted: number;
  readonly prevKvs?: readonly KvView[] | undefined;
}

export type TxnResponseView =
  | ({ readonly type: 'range' } & RangeView)
  | ({ readonly type: 'put' } & PutView)
  | ({ readonly type: 'deleteRange' } & DeleteView)
  | ({ readonly type: 'txn' } & NestedTxnView);

/** A nested txn's response (no header of its own). */
export interface NestedTxnView {
  readonly succeeded: boolean;
  readonly responses: readonly TxnResponseView[];
}

export interface TxnView {
  readonly header: HeaderView;
  readonly succeeded: boolean;
  readonly responses: readonly TxnResponseView[];
}

export type EventType = 'put' | 'delete';

export interface EventView {
  readonly type: EventType;
  readonly kv: KvView;
  readonly prevKv?: KvView | undefined;
}
