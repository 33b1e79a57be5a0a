// Where the SDK keeps its last applied snapshot between runs. The core only defines the
// contract; `@kite/config/node` provides a file implementation (cacheDir), and a browser can
// provide one over localStorage or IndexedDB. A cache must never return a snapshot it cannot
// vouch for: a damaged entry is reported through `warn` and treated as absent.
import type { Content } from './model.js';

export interface CachedSnapshot {
  readonly namespace: string;
  readonly app: string;
  readonly release: number;
  /** The store revision the snapshot was read at (the SDK reconciles from there). */
  readonly revision: number;
  readonly values: Content;
}

export interface SnapshotCache {
  /** The last saved snapshot, or null if there is none or it is damaged (after a warning). */
  load(warn: (message: string) => void): Promise<CachedSnapshot | null>;
  /** Replaces the saved snapshot atomically (a crash leaves the old or the new one, whole). */
  save(snapshot: CachedSnapshot): Promise<void>;
}
