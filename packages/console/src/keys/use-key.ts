// A key's current value, live: one get, then a watch on the key from the get's revision + 1.
// Changes not made by this page (their revision is not one of `ownRevisions`) are flagged, so
// the view can mark them. The lease's remaining TTL is read once per lease and counted down
// locally; it is read again only when the countdown reaches zero (renewed or expired).
import { useEffect, useRef, useState } from 'preact/hooks';
import type { KeyValue, KiteClient } from '@kite/client/browser';
import { errorText } from '../error-text.js';

export interface KeyState {
  readonly loading: boolean;
  /** Undefined: the key does not exist (now). */
  readonly kv: KeyValue | undefined;
  readonly error: string | null;
  /** The last change came from another writer while the key was open. */
  readonly changedByOther: boolean;
}

export interface LiveKey extends KeyState {
  /** Call with the revision of a write this page made, before its watch event arrives. */
  noteOwnWrite(revision: number): void;
  /** Forget the changed mark (the user has seen it). */
  acknowledge(): void;
}

/** Own write revisions remembered (a page makes few writes per key). */
const OWN_REVISIONS_MAX = 64;

export function useKey(client: KiteClient, key: string): LiveKey {
  const [state, setState] = useState<KeyState>({ loading: true, kv: undefined, error: null, changedByOther: false });
  const own = useRef<number[]>([]);
  useEffect(() => {
    setState({ loading: true, kv: undefined, error: null, changedByOther: false });
    own.current = [];
    const controller = new AbortController();
    void (async () => {
      try {
        const r = await client.get(key, { signal: controller.signal });
        if (controller.signal.aborted) return;
        setState({ loading: false, kv: r.kvs[0], error: null, changedByOther: false });
        const w = client.watch(key, { startRevision: r.header.revision + 1, signal: controller.signal });
        for await (const batch of w) {
          const last = batch.events[batch.events.length - 1];
          if (last === undefined) continue;
          const mine = own.current.includes(last.kv.modRevision);
          setState((s) => ({ ...s, kv: last.type === 'put' ? last.kv : undefined, changedByOther: s.changedByOther || !mine }));
        }
      } catch (err) {
        if (!controller.signal.aborted) setState((s) => ({ ...s, loading: false, error: errorText(err) }));
      }
    })();
    return () => controller.abort();
  }, [client, key]);
  return {
    ...state,
    noteOwnWrite: (revision) => {
      own.current = [...own.current, revision].slice(-OWN_REVISIONS_MAX);
    },
    acknowledge: () => setState((s) => ({ ...s, changedByOther: false })),
  };
}

export interface LeaseTtl {
  readonly id: number;
  /** Seconds left, counted down locally; null while unknown. */
  readonly remainingS: number | null;
  readonly grantedS: number | null;
  readonly expired: boolean;
}

export function useLeaseTtl(client: KiteClient, leaseId: number): LeaseTtl | null {
  const [ttl, setTtl] = useState<{ ttl: number; granted: number; atMs: number } | null>(null);
  const [nowMs, setNowMs] = useState(() => performance.now());
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (leaseId === 0) return undefined;
    let live = true;
    client.lease.timeToLive(leaseId).then(
      (r) => live && setTtl({ ttl: r.ttl, granted: r.grantedTtl, atMs: performance.now() }),
      () => live && setTtl({ ttl: -1, granted: 0, atMs: performance.now() }),
    );
    return () => {
      live = false;
    };
  }, [client, leaseId, generation]);
  useEffect(() => {
    if (leaseId === 0) return undefined;
    const t = setInterval(() => setNowMs(performance.now()), 1_000);
    return () => clearInterval(t);
  }, [leaseId]);
  // Clamped to the granted TTL: a member may round the remaining time up.
  const remaining = ttl === null || ttl.ttl < 0 ? null : Math.min(ttl.granted, Math.max(0, Math.ceil(ttl.ttl - (nowMs - ttl.atMs) / 1000)));
  const atZeroForMs = remaining === 0 && ttl !== null ? nowMs - ttl.atMs : 0;
  useEffect(() => {
    // Counted down to zero: ask again (a kept-alive lease has been renewed meanwhile), at most
    // once a second while the member still says zero.
    if (atZeroForMs >= 1_000) setGeneration((g) => g + 1);
  }, [atZeroForMs >= 1_000]);
  if (leaseId === 0) return null;
  return { id: leaseId, remainingS: remaining, grantedS: ttl?.granted ?? null, expired: ttl !== null && ttl.ttl < 0 };
}
