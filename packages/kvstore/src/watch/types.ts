// Value types of the watch hub: what a watcher asks for, what it receives, and the hub's
// named limits. Events themselves are the store's (see ../watch-source.ts).

import type { WatchRequestArgs } from '@kite/protocol';
import type { WatchEvent } from './source.js';

/** What a watcher asks for: the op schema's watch fields (watchCreate minus the link's watchId). */
export type WatchRequest = WatchRequestArgs;

/**
 * One delivery to a watcher. `revision` is a bookmark: once the consumer has taken this
 * response, every matching event with revision ≤ `revision` has been delivered, and later
 * responses only carry events > `revision`. Events of one revision are never split across
 * responses.
 */
export type WatchResponse =
  | { readonly kind: 'events'; readonly watchId: number; readonly revision: number; readonly events: readonly WatchEvent[] }
  | { readonly kind: 'progress'; readonly watchId: number; readonly revision: number }
  | {
      readonly kind: 'canceled';
      readonly watchId: number;
      readonly revision: number;
      /** Set when the watch was canceled because the revisions it needs are compacted. */
      readonly compactRevision?: number;
      readonly cancelReason: string;
    };

export interface WatchHubLimits {
  /** Watchers alive at once; more gives TooManyWatchesError. */
  readonly watchersMax: number;
  /**
   * Events buffered (delivered, not yet taken) per watcher. A live revision that would cross
   * it moves the watcher to catch-up from history instead. One revision is never split, so a
   * single revision larger than this is still delivered to a watcher with an empty buffer.
   */
  readonly bufferedEventsMax: number;
  /** A catching-up watcher is read for again only once its buffer is at most this many events. */
  readonly resumeBelowEvents: number;
  /** Revisions read from history for one watcher in one catch-up pass. */
  readonly catchUpRevisionsPerPass: number;
  /** Watchers caught up concurrently in one pass (bounds outstanding history reads). */
  readonly catchUpWatchersPerPass: number;
  /** Events per catch-up response (whole revisions; a bigger single revision goes alone). */
  readonly responseEventsMax: number;
}

export const defaultWatchHubLimits: WatchHubLimits = {
  watchersMax: 100_000,
  bufferedEventsMax: 1_024,
  resumeBelowEvents: 512,
  catchUpRevisionsPerPass: 1_000,
  catchUpWatchersPerPass: 64,
  responseEventsMax: 256,
};
