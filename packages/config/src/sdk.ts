// The application side: one instance's live, effective configuration of one app.
//
// Invariants:
// - A snapshot is always ONE release's whole content: the effective release number is a pure
//   function of the head (read at one revision) and this instance's identity, and the content
//   comes from that release's immutable record. Snapshots are replaced, never mutated, so a
//   reader or a change listener never sees keys of two releases.
// - Snapshots only move forward in revision; a change event carries the whole new snapshot.
// - With the cluster unreachable at start, a cached snapshot is served with `stale: true`; the
//   follow loop keeps trying and clears the flag once a member has answered.
// Follow: read head at R (one key: the app's whole state) → apply → take every newer head from
// the app's head feed (head-feed.ts: one watch per client and app, shared by its instances,
// resumed across reconnects and leader changes; a compacted history or a failed watch goes
// back to reading the head). Heads are applied one at a time, newest first: a head that
// arrives while one is being applied replaces any other waiting one.
import type { RecipeClient } from '@kite/client';
import { ConfigError } from './errors.js';
import { effectiveRelease, type InstanceIdentity } from './gray-rule.js';
import { headFeed, readHead, type HeadUpdate } from './head-feed.js';
import { reportHub, type ReportHub } from './instance-reporter.js';
import { AppKeys } from './keys.js';
import { decodeRelease, diffContent, type AppHead, type Content, type DiffEntry, type InstanceRecord } from './model.js';
import { checkApp, checkName } from './names.js';
import type { CachedSnapshot, SnapshotCache } from './snapshot-cache.js';
import { parseValue, type ConfigValue } from './value-types.js';

export const SDK_VERSION = '0.1.0';
/** Release contents remembered per client (immutable records; a small bound keeps memory flat). */
export const RECORD_READS_PER_CLIENT_MAX = 8;
const recordReads = new WeakMap<RecipeClient, Map<string, Promise<Content>>>();
export const CONFIG_DEFAULTS = {
  leaseTtlSeconds: 10,
  /** How long start() waits for a member before falling back to the cache. */
  initialTimeoutMs: 3_000,
  retryDelayMsMin: 100,
  retryDelayMsMax: 2_000,
} as const;

export interface ConfigOptions {
  readonly namespace: string;
  readonly app: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Stable id of this instance (default: random per process). Percentage gray hashes it. */
  readonly instanceId?: string;
  /** host:port this instance serves on (shown in `instances`, matched by id/IP gray rules). */
  readonly address?: string;
  readonly cache?: SnapshotCache;
  /** Register an instance record under a lease (default true). */
  readonly register?: boolean;
  readonly leaseTtlSeconds?: number;
  readonly initialTimeoutMs?: number;
  /** Warnings (corrupt cache, failed reports); default console.warn. */
  readonly onWarning?: (message: string) => void;
}

export interface ConfigSnapshot {
  readonly release: number;
  /** The store revision this snapshot was confirmed at. */
  readonly revision: number;
  readonly values: Content;
  /** Served from the local cache and not yet confirmed by a member. */
  readonly stale: boolean;
}

export interface ConfigChange {
  readonly snapshot: ConfigSnapshot;
  readonly previous: ConfigSnapshot;
  readonly diff: readonly DiffEntry[];
}

type ChangeListener = (change: ConfigChange) => void;

export class ConfigInstance {
  readonly keys: AppKeys;
  readonly identity: InstanceIdentity;
  private current: ConfigSnapshot = { release: 0, revision: 0, values: {}, stale: true };
  private readonly listeners = new Set<ChangeListener>();
  private readonly reporter: ReportHub | null;
  private readonly startedAt = new Date().toISOString();
  private unsubscribe: (() => void) | null = null;
  /** The newest head not applied yet (older waiting ones are dropped: each head is the whole state). */
  private pending: HeadUpdate | null = null;
  private applying = false;
  private closed = false;
  private drained: Promise<void> = Promise.resolve();
  private wakeSleep: (() => void) | null = null;
  private readonly warn: (message: string) => void;

  constructor(private readonly client: RecipeClient, private readonly opts: ConfigOptions) {
    const ref = checkApp({ namespace: opts.namespace, app: opts.app });
    this.keys = new AppKeys(ref);
    this.identity = {
      id: checkName('instance id', opts.instanceId ?? randomId()),
      labels: { ...(opts.labels ?? {}) },
      address: opts.address ?? '',
    };
    this.warn = opts.onWarning ?? ((m) => console.warn(m));
    this.reporter = opts.register === false
      ? null
      : reportHub(client, opts.leaseTtlSeconds ?? CONFIG_DEFAULTS.leaseTtlSeconds);
  }

  /** Loads the first snapshot (from a member, else from the cache) and starts following. */
  async start(): Promise<void> {
    const cached = await this.loadCache();
    let live = false;
    try {
      await withTimeout(this.syncOnce(), this.opts.initialTimeoutMs ?? CONFIG_DEFAULTS.initialTimeoutMs);
      live = true;
    } catch (err) {
      if (cached === null) throw new ConfigError('NoSnapshot', `no member answered and no cached snapshot: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
    }
    // A late answer to the timed-out read may have applied a live snapshot meanwhile: keep it.
    if (!live && cached !== null && this.current.revision === 0) {
      this.current = { release: cached.release, revision: cached.revision, values: cached.values, stale: true };
      this.reporter?.report(this.keys.instance(this.identity.id), this.record(), this.warn);
    }
    // A stale instance asks for any head (revision 0), so the feed's newest one makes it live.
    this.unsubscribe = headFeed(this.client, this.keys).subscribe(live ? this.current.revision : 0, (u) => this.enqueue(u));
  }

  get snapshot(): ConfigSnapshot {
    return this.current;
  }

  get stale(): boolean {
    return this.current.stale;
  }

  get release(): number {
    return this.current.release;
  }

  /** Subscribes to whole-snapshot changes; returns the unsubscribe function. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(key: string): ConfigValue | undefined {
    return this.current.values[key];
  }

  getString(key: string, fallback?: string): string | undefined {
    return this.current.values[key]?.text ?? fallback;
  }

  getNumber(key: string, fallback?: number): number | undefined {
    const v = this.current.values[key];
    if (v === undefined) return fallback;
    const n = Number(v.text.trim());
    return v.text.trim() === '' || !Number.isFinite(n) ? fallback : n;
  }

  getBoolean(key: string, fallback?: boolean): boolean | undefined {
    const t = this.current.values[key]?.text.trim().toLowerCase();
    if (t === 'true' || t === '1' || t === 'yes' || t === 'on') return true;
    if (t === 'false' || t === '0' || t === 'no' || t === 'off') return false;
    return fallback;
  }

  /** The parsed value: JSON/YAML data, a properties map, or the text. */
  getParsed<T = unknown>(key: string): T | undefined {
    const v = this.current.values[key];
    return v === undefined ? undefined : (parseValue(v) as T);
  }

  /** Stops following and removes the instance record (the last snapshot stays readable). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    this.wakeSleep?.();
    await this.drained;
    await this.reporter?.remove(this.keys.instance(this.identity.id));
  }

  // ---- internals

  private record(): InstanceRecord {
    const c = this.current;
    return {
      id: this.identity.id, labels: this.identity.labels, address: this.identity.address, sdkVersion: SDK_VERSION, startedAt: this.startedAt,
      applied: c.revision === 0 && c.release === 0 && c.stale ? null : { release: c.release, revision: c.revision, stale: c.stale, at: new Date().toISOString() },
    };
  }

  private async loadCache(): Promise<CachedSnapshot | null> {
    const cache = this.opts.cache;
    if (cache === undefined) return null;
    const s = await cache.load(this.warn).catch((err: unknown) => {
      this.warn(`config cache unreadable, ignored: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
    if (s === null) return null;
    if (s.namespace !== this.opts.namespace || s.app !== this.opts.app) {
      this.warn(`config cache holds ${s.namespace}/${s.app}, not ${this.opts.namespace}/${this.opts.app}: ignored`);
      return null;
    }
    return s;
  }

  private async syncOnce(): Promise<void> {
    const { head, revision } = await readHead(this.client, this.keys);
    await this.applyHead(head, revision);
  }

  /** Applies the head seen at `revision`: fetches the effective release if it changed. */
  private async applyHead(head: AppHead, revision: number): Promise<void> {
    if (revision < this.current.revision) return;
    const release = effectiveRelease(this.keys.ref, head, this.identity);
    if (release === this.current.release && !this.current.stale) {
      this.current = { ...this.current, revision };
      return;
    }
    const values = release === this.current.release ? this.current.values : await this.content(release);
    // Another apply (a newer head) may have finished while the record was being read.
    if (this.closed || revision < this.current.revision) return;
    const previous = this.current;
    const next: ConfigSnapshot = { release, revision, values, stale: false };
    this.current = next;
    if (previous.release !== release) {
      const change: ConfigChange = { snapshot: next, previous, diff: diffContent(previous.values, values) };
      for (const l of [...this.listeners]) {
        // A throwing listener is the application's bug; it must not stop the others or the follow loop.
        try {
          l(change);
        } catch (err) {
          this.warn(`config change listener threw: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
    this.reporter?.report(this.keys.instance(this.identity.id), this.record(), this.warn);
    if (this.opts.cache !== undefined) {
      await this.opts.cache
        .save({ namespace: this.opts.namespace, app: this.opts.app, release, revision, values })
        .catch((err: unknown) => this.warn(`config cache not saved: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private async content(release: number): Promise<Content> {
    if (release === 0) return {};
    // Release records are immutable, so instances sharing a client share one read of each
    // (1000 instances on one client read a new release once, not 1000 times).
    let perClient = recordReads.get(this.client);
    if (perClient === undefined) {
      perClient = new Map();
      recordReads.set(this.client, perClient);
    }
    const key = `${this.keys.base}${release}`;
    let read = perClient.get(key);
    if (read === undefined) {
      read = this.readContent(release);
      perClient.set(key, read);
      // A failed read is not remembered; the oldest entries go first beyond the bound.
      read.catch(() => perClient.delete(key));
      while (perClient.size > RECORD_READS_PER_CLIENT_MAX) perClient.delete(perClient.keys().next().value!);
    }
    return read;
  }

  private async readContent(release: number): Promise<Content> {
    const r = await this.client.get(this.keys.release(release));
    const kv = r.kvs[0];
    if (kv === undefined) throw new ConfigError('ReleaseNotFound', `head names release ${release}, which does not exist`, { release });
    return decodeRelease(kv.value).content;
  }

  private enqueue(update: HeadUpdate): void {
    if (this.closed) return;
    this.pending = update;
    if (this.applying) return;
    this.applying = true;
    this.drained = this.drain().finally(() => {
      this.applying = false;
    });
  }

  /** Applies waiting heads one at a time; a failed apply (a record not readable yet, no member) is retried after a pause unless a newer head replaced it. */
  private async drain(): Promise<void> {
    let delayMs: number = CONFIG_DEFAULTS.retryDelayMsMin;
    while (this.pending !== null && !this.closed) {
      const update = this.pending;
      this.pending = null;
      try {
        await this.applyHead(update.head, update.revision);
        delayMs = CONFIG_DEFAULTS.retryDelayMsMin;
      } catch {
        if (this.closed) return;
        this.pending ??= update;
        await this.pause(delayMs);
        delayMs = Math.min(CONFIG_DEFAULTS.retryDelayMsMax, delayMs * 2);
      }
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

/** Starts an instance: resolves once it serves a snapshot (live, or cached and stale). */
export async function config(client: RecipeClient, opts: ConfigOptions): Promise<ConfigInstance> {
  const inst = new ConfigInstance(client, opts);
  await inst.start();
  return inst;
}

function randomId(): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return `i-${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConfigError('NoSnapshot', `no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

