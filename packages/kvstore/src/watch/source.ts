// The hub's view of the store: re-exports the store's published contract (../watch-source.ts)
// so the rest of watch/ has one import site.

export type { KeyValue } from '../types.js';
export type {
  CommittedBatch,
  HistoryPage,
  RestoredState,
  RevisionEvents,
  Unsubscribe,
  WatchEvent,
  WatchSource,
} from '../watch-source.js';
