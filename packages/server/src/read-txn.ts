// Read-only txns (every op of both branches, nested txns included, is a range) are served like
// a linearizable range, through ReadIndex, instead of being proposed through Raft (etcd does
// the same). The store answers them itself (KvStore.readTxn, via KvPort.readTxn): every
// compare and every range at ONE revision, the store's revision once the read index is
// applied, validated and compared by apply's own rules, so the txn sees exactly what a txn
// applied at that point of the log would see. This module only decides which txns go that way.

import { isReadOnlyTxn as storeIsReadOnlyTxn } from '@kite/kvstore';
import type { TxnArgs } from '@kite/protocol';

/** True when no op on either branch, at any depth, writes. */
export function isReadOnlyTxn(t: TxnArgs): boolean {
  return storeIsReadOnlyTxn(t);
}

