// What a watcher saw, and the global event sequence it is checked against. Keys and values
// are strings (the runner decodes the wire's bytes as UTF-8). A watcher's life is a list of
// segments: the first starts at its requested revision, each later one is a resume after a
// reconnect at the revision the client asked for (normally the last one seen + 1).

export type EventType = 'put' | 'delete';

export interface KeyValueSeen {
  readonly key: string;
  readonly value: string;
  readonly modRevision?: number;
}

export interface WatchEvent {
  readonly type: EventType;
  readonly key: string;
  /** The new value for a put; null (or ignored) for a delete. */
  readonly value: string | null;
  readonly modRevision: number;
  readonly prevKv?: KeyValueSeen | null;
}

export interface WatchBatch {
  /** The history index of the entry that recorded this response. */
  readonly index: number;
  readonly headerRevision: number;
  readonly events: readonly WatchEvent[];
  /** A progress notification: no events, and everything up to headerRevision was sent. */
  readonly progress?: boolean;
  /** The server refused older revisions: events before it are legitimately unavailable. */
  readonly compactRevision?: number;
  readonly canceled?: boolean;
}

export interface WatchSegment {
  readonly startRevision: number;
  readonly batches: readonly WatchBatch[];
  /** Why the client ended the watch here for good (closed it, or it failed); absent while open. */
  readonly ended?: string;
  /** The member the client watched through in this segment, when recorded. */
  readonly node?: string;
}

export interface WatchFilter {
  readonly key: string;
  /** etcd's range end: keys in [key, rangeEnd); '\0' means every key >= key. */
  readonly rangeEnd?: string;
  readonly prefix?: boolean;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
}

export interface WatcherLog {
  readonly watcher: string;
  readonly filter: WatchFilter;
  readonly prevKv: boolean;
  readonly segments: readonly WatchSegment[];
}

/** One event of the store's global history, as a final full read of the history gives it. */
export interface GlobalEvent {
  readonly revision: number;
  readonly key: string;
  readonly type: EventType;
  readonly value: string | null;
}

export function matchesFilter(f: WatchFilter, key: string, type: EventType): boolean {
  if (type === 'put' && f.noPut === true) return false;
  if (type === 'delete' && f.noDelete === true) return false;
  if (f.prefix === true) return key.startsWith(f.key);
  if (f.rangeEnd === undefined) return key === f.key;
  if (f.rangeEnd === '\0') return key >= f.key;
  return key >= f.key && key < f.rangeEnd;
}

export const eventId = (revision: number, key: string): string => `${revision}\u0000${key}`;
