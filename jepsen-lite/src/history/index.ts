// Public surface of the history format: entry types, JSONL I/O, invoke/complete pairing.
export type {
  ClientEntry, EntryType, HistoryEntry, Json, NemesisEntry, NemesisF, ObservationEntry, ObservationF, Operation,
} from './types.js';
export { isNemesisEntry, isObservationEntry, NEMESIS_FS, OBSERVATION_FS } from './types.js';
export { HistoryFormatError } from './errors.js';
export type { HistoryErrorCode } from './errors.js';
export { formatHistoryJsonl, parseHistoryJsonl, validateEntry, HISTORY_LINE_CHARS_MAX } from './jsonl.js';
export { pairOperations } from './operations.js';
export type { PairedHistory } from './operations.js';
