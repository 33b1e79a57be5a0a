// One follower of an app's `head` per client: the SDK instances of one app sharing a client
// share one watch (and, after a failure, one re-read) instead of one each. With 250 instances
// in a process, a lost link used to mean 250 watch re-registrations and, when those failed,
// 250 head reads retried in lock-step; now it is one of each.
//
// Invariants:
// - Subscribers receive heads in increasing revision order, each the newest head of a watch
//   batch (the head is the app's whole state, so skipping older ones loses nothing).
// - A new subscriber that synced at revision R is handed the newest head the feed has seen if
//   that is newer than R, so joining a running feed misses nothing.
// - Follow loop: watch from (newest revision seen + 1); a compacted history goes straight to
//   reading the head again, any other failure after a bounded, jittered back-off. The feed
//   stops when its last subscriber leaves.
import type { RecipeClient, RecipeWatch } from '@kite/client';
import type { AppKeys } from './keys.js';
import { decodeHead, EMPTY_HEAD, type AppHead } from './model.js';

export const FEED_RETRY_DELAY_MS_MIN = 100;
export const FEED_RETRY_DELAY_MS_MAX = 2_000;

export interface HeadUpdate {
  readonly head: AppHead;
  readonly revision: number;
}

export type HeadListener = (update: HeadUpdate) => void;

const feeds = new WeakMap<RecipeClient, Map<string, HeadFeed>>();

/** The feed of `keys`' head on `client`, shared by every instance of that app on it. */
export function headFeed(client: RecipeClient, keys: AppKeys): HeadFeed {
  let perApp = feeds.get(client);
  if (perApp === undefined) feeds.set(client, (perApp = new Map()));
  let feed = perApp.get(keys.base);
  if (feed === undefined) perApp.set(keys.base, (feed = new HeadFeed(client, keys)));
  return feed;
}

/** Reads the head at one revision (a missing head is the empty app). */
export async function readHead(client: RecipeClient, keys: AppKeys): Promise<HeadUpdate> {
  const r = await client.get(keys.head);
  const kv = r.kvs[0];
  return { head: kv === undefined ? EMPTY_HEAD : decodeHead(kv.value), revision: r.header.revision };
}

export class HeadFeed {
  private readonly listeners = new Set<HeadListener>();
  private latest: HeadUpdate | null = null;
  /** The revision the next watch starts after (0: nothing known, read the head first). */
  private revision = 0;
  private running: Promise<void> | null = null;
  private watch: RecipeWatch | null = null;
  private wakeSleep: (() => void) | null = null;

  constructor(
    private readonly client: RecipeClient,
    private readonly keys: AppKeys,
  ) {}

  /**
   * Adds a subscriber that has applied the head at `revision` (0: none yet); returns the
   * unsubscribe function. The subscriber is told of every newer head from now on.
   */
  subscribe(revision: number, listener: HeadListener): () => void {
    this.listeners.add(listener);
    const latest = this.latest;
    if (latest !== null && latest.revision > revision) listener(latest);
    // A feed not running starts its watch after the newest revision it or this subscriber
    // knows (a running one re-reads the head after any failure, so it needs no hint).
    if (this.running === null) this.revision = Math.max(this.revision, revision);
    this.running ??= this.follow().finally(() => {
      this.running = null;
    });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.watch?.cancel();
        this.wakeSleep?.();
      }
    };
  }

  private publish(update: HeadUpdate): void {
    if (this.latest !== null && update.revision <= this.latest.revision) return;
    this.latest = update;
    this.revision = update.revision;
    for (const l of [...this.listeners]) l(update);
  }

  private async follow(): Promise<void> {
    let delayMs = FEED_RETRY_DELAY_MS_MIN;
    let read = this.revision === 0;
    while (this.listeners.size > 0) {
      try {
        if (read) {
          this.publish(await readHead(this.client, this.keys));
          read = false;
          delayMs = FEED_RETRY_DELAY_MS_MIN;
        }
        await this.watchHead();
        if (this.listeners.size === 0) return; // canceled: the last subscriber left
        throw new Error('head watch ended'); // on its own: start over from a fresh read, after a pause
      } catch (err) {
        if (this.listeners.size === 0) return;
        // Compacted: the history we would resume from is gone; the head alone is the whole
        // state, so re-reading it loses nothing. Anything else (cluster unreachable for long):
        // read again after a pause, jittered so that many clients do not retry in step.
        read = true;
        if (!(err instanceof Error && 'code' in err && err.code === 'Compacted')) {
          await this.pause(delayMs / 2 + Math.random() * (delayMs / 2));
          delayMs = Math.min(FEED_RETRY_DELAY_MS_MAX, delayMs * 2);
        }
      }
    }
  }

  private async watchHead(): Promise<void> {
    const w = this.client.watch(this.keys.head, { startRevision: this.revision + 1 });
    this.watch = w;
    if (this.listeners.size === 0) w.cancel();
    try {
      for await (const batch of w) {
        // Each event is the head as a whole at its revision; only the newest one matters.
        const last = batch.events[batch.events.length - 1];
        if (last === undefined) continue;
        this.publish({ head: last.type === 'delete' ? EMPTY_HEAD : decodeHead(last.kv.value), revision: batch.revision });
      }
    } finally {
      this.watch = null;
    }
  }

  private async pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wakeSleep = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.wakeSleep = null;
  }
}
