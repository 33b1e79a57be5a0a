// A live local copy of a prefix: list everything at revision R (pages pinned to R), then
// watch from R+1. The client's watch resumes across reconnects and leader changes with no
// gap or repeat, so the map stays exact; if the watch reports compaction (we fell behind the
// retained history), the mirror re-lists at the latest revision, emits the differences as
// ordinary changes, and watches again. Listeners see every change in revision order.
import { isKiteError, RANGE_END_ALL, type KeyValue, type Revision } from '@kite/protocol';
import { Emitter } from '../emitter.js';
import { bytesEqual, concat, prefixRangeEnd, toBytes, toText } from './bytes.js';
import type { RecipeClient, RecipeWatch } from './client-surface.js';

/** Keys per page while listing. */
export const MIRROR_PAGE_KEYS = 1000;
/** Re-lists in a row (each after a compaction) before the mirror gives up with an error. */
export const MIRROR_RESYNCS_MAX = 16;

export interface MirrorChange {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new key-value (for a delete: the key with an empty value, as the watch reports it). */
  readonly kv: KeyValue;
  /** The value before this change, when the mirror had the key. */
  readonly prev: KeyValue | undefined;
  readonly revision: Revision;
}

export interface MirrorEvents {
  /** One change applied to the map. */
  change: MirrorChange;
  /** The map now reflects this revision (after each batch and after a re-list). */
  synced: Revision;
  /** The mirror re-listed after a compaction at this revision. */
  resync: Revision;
  /** The mirror stopped with this error (the map keeps its last state). */
  error: unknown;
}

export interface MirrorOptions {
  readonly signal?: AbortSignal;
}

export class Mirror extends Emitter<MirrorEvents> {
  readonly prefix: Uint8Array;
  /** Key (as UTF-8 text) → latest key-value. Read it; never write it. */
  readonly map = new Map<string, KeyValue>();
  private revisionValue: Revision = 0;
  private watch: RecipeWatch | null = null;
  private closed = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: RecipeClient,
    prefix: string | Uint8Array,
  ) {
    super();
    this.prefix = toBytes(prefix);
  }

  /** Every change up to this revision is in the map. */
  get revision(): Revision {
    return this.revisionValue;
  }

  get(key: string): KeyValue | undefined {
    return this.map.get(key);
  }

  /** Key → value text, for comparing and printing. */
  snapshot(): Map<string, string> {
    return new Map([...this.map].map(([k, kv]) => [k, toText(kv.value)]));
  }

  /** Lists the prefix and starts following it; resolves once the map is filled. */
  async start(): Promise<void> {
    await this.relist(false);
    this.loop = this.follow();
  }

  /** Stops following; the map keeps its last state. */
  async close(): Promise<void> {
    this.closed = true;
    this.watch?.cancel();
    await this.loop;
  }

  private range(): { key: Uint8Array; rangeEnd: Uint8Array } {
    return this.prefix.length === 0
      ? { key: RANGE_END_ALL, rangeEnd: RANGE_END_ALL }
      : { key: this.prefix, rangeEnd: prefixRangeEnd(this.prefix) };
  }

  /** Reads the whole prefix at one revision; with `diff`, emits what changed against the map. */
  private async relist(diff: boolean): Promise<void> {
    const { key, rangeEnd } = this.range();
    const fresh = new Map<string, KeyValue>();
    let from = key;
    let revision = 0;
    for (;;) {
      const page = await this.client.get(from, { rangeEnd, limit: MIRROR_PAGE_KEYS, ...(revision > 0 ? { revision } : {}) });
      if (revision === 0) revision = page.header.revision;
      for (const kv of page.kvs) fresh.set(toText(kv.key), kv);
      const last = page.kvs[page.kvs.length - 1];
      if (!page.more || last === undefined) break;
      from = concat(last.key, new Uint8Array([0]));
    }
    if (diff) this.emitDiff(fresh, revision);
    this.map.clear();
    for (const [k, kv] of fresh) this.map.set(k, kv);
    this.revisionValue = revision;
    this.emit('synced', revision);
  }

  private emitDiff(fresh: ReadonlyMap<string, KeyValue>, revision: Revision): void {
    for (const [k, prev] of this.map) {
      if (!fresh.has(k)) {
        const kv: KeyValue = { key: prev.key, value: new Uint8Array(), createRevision: 0, modRevision: revision, version: 0, lease: 0 };
        this.emit('change', { type: 'delete', key: k, kv, prev, revision });
      }
    }
    for (const [k, kv] of fresh) {
      const prev = this.map.get(k);
      if (prev === undefined || prev.modRevision !== kv.modRevision || !bytesEqual(prev.value, kv.value)) {
        this.emit('change', { type: 'put', key: k, kv, prev, revision: kv.modRevision });
      }
    }
  }

  private async follow(): Promise<void> {
    let resyncs = 0;
    while (!this.closed) {
      const { key, rangeEnd } = this.range();
      const w = this.client.watch(key, { rangeEnd, startRevision: this.revisionValue + 1 });
      this.watch = w;
      if (this.closed) w.cancel();
      try {
        for await (const batch of w) {
          resyncs = 0;
          this.apply(batch.events);
          if (batch.revision > this.revisionValue) this.revisionValue = batch.revision;
          this.emit('synced', this.revisionValue);
        }
        return; // canceled by close()
      } catch (err) {
        if (this.closed) return;
        if (!isKiteError(err, 'Compacted') || resyncs >= MIRROR_RESYNCS_MAX) {
          this.emit('error', err);
          return;
        }
        resyncs++;
        try {
          await this.relist(true);
        } catch (relistErr) {
          this.emit('error', relistErr);
          return;
        }
        this.emit('resync', this.revisionValue);
      }
    }
  }

  private apply(events: readonly { type: 'put' | 'delete'; kv: KeyValue }[]): void {
    for (const ev of events) {
      const k = toText(ev.kv.key);
      const prev = this.map.get(k);
      if (ev.type === 'put') this.map.set(k, ev.kv);
      else this.map.delete(k);
      this.emit('change', { type: ev.type, key: k, kv: ev.kv, prev, revision: ev.kv.modRevision });
    }
  }
}

/** Starts a mirror of `prefix`; resolves once the initial listing is in the map. */
export async function mirror(client: RecipeClient, prefix: string | Uint8Array, opts: MirrorOptions = {}): Promise<Mirror> {
  const m = new Mirror(client, prefix);
  await m.start();
  opts.signal?.addEventListener('abort', () => void m.close(), { once: true });
  return m;
}
