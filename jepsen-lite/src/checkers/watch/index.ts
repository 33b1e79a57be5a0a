// Public surface of the watch checker.
export { checkWatch, WATCH_ANOMALIES_PER_TYPE_MAX } from './checker.js';
export { ACK_ANOMALIES_PER_TYPE_MAX, NO_WATCH_EVIDENCE, watchEvidence } from './acknowledged.js';
export type { WatchEvidence } from './acknowledged.js';
export { globalHistoryFromObservations, watchersFromObservations } from './from-history.js';
export type {
  EventType, GlobalEvent, KeyValueSeen, WatchBatch, WatcherLog, WatchEvent, WatchFilter, WatchSegment,
} from './types.js';
export { matchesFilter } from './types.js';
