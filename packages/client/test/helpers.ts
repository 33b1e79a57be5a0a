// Shared test helpers for client tests against the fake cluster.
import { afterEach, beforeEach } from 'vitest';
import { connect, KiteError, type ConnectOptions, type KiteClient, type WatchEvent } from '@kite/client';
import { FakeCluster } from './fake-cluster.js';

/** Fast timings so link failures are noticed and retried quickly (no test asserts on time). */
export const FAST: Omit<ConnectOptions, 'endpoints'> = {
  timeoutMs: 5_000,
  dialTimeoutMs: 2_000,
  heartbeatIntervalMs: 100,
  heartbeatMissesMax: 3,
  backoff: { baseDelayMs: 2, maxDelayMs: 40 },
};

export async function fastClient(endpoints: string[], over: Partial<ConnectOptions> = {}): Promise<KiteClient> {
  return connect({ ...FAST, ...over, endpoints });
}

/** Rejects if `p` has not settled after `ms`: a guard against a hung test, not a timing check. */
export function guard<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`hang guard: ${what} did not finish`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** What eventsUntil needs of a watch (structural: tests import the client by alias or path). */
interface BatchSource {
  next(): Promise<IteratorResult<{ readonly events: readonly WatchEvent[]; readonly revision: number }>>;
}

/** Consumes batches until one reaches `revision`; returns all their events. */
export async function eventsUntil(w: BatchSource, revision: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for (;;) {
    const r = await w.next();
    if (r.done === true) throw new Error('watch ended early');
    out.push(...r.value.events);
    if (r.value.revision >= revision) return out;
  }
}

/** Resolves on the client's next event of that name. */
export function nextEvent<K extends 'connect' | 'disconnect'>(c: KiteClient, name: K): Promise<Parameters<Parameters<KiteClient['on']>[1]>[0]> {
  return new Promise((res) => c.once(name, res as never));
}

/** The KiteError `p` rejects with; fails the test if it resolves or rejects with anything else. */
export async function caught(p: Promise<unknown>): Promise<KiteError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KiteError) return err;
    throw err;
  }
  throw new Error('expected a KiteError');
}

/** Events as `modRevision:type:key` strings, for exact comparison of event sequences. */
export function summary(events: readonly WatchEvent[]): string[] {
  return events.map((e) => `${e.kv.modRevision}:${e.type}:${Buffer.from(e.kv.key).toString()}`);
}

/**
 * A one-member fake cluster started before each test, and the clients a test opens on it
 * (pinned to that member, so its faults hit them), all closed after each test. Call at a
 * test file's top level: it registers the hooks.
 */
export function oneMemberFixture(): { readonly cluster: FakeCluster; client(over?: Partial<ConnectOptions>): Promise<KiteClient> } {
  let cluster: FakeCluster | null = null;
  const clients: KiteClient[] = [];
  beforeEach(async () => {
    cluster = await FakeCluster.start(1);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await cluster?.stop();
    cluster = null;
  });
  const started = (): FakeCluster => {
    if (cluster === null) throw new Error('assertion: the fixture is used outside a test');
    return cluster;
  };
  return {
    get cluster() {
      return started();
    },
    async client(over = {}) {
      const c = await fastClient([started().member(0).url], { preferLeader: false, ...over });
      clients.push(c);
      return c;
    },
  };
}
