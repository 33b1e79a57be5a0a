// Cross-member corruption detection (etcd's corruption checks). Each member's own checksums
// catch damage to its records (kvstore's checksum backend); this catches replicas that differ
// with every local checksum intact: a bug, or a store rewritten consistently on disk.
//
// - Peers answer `GET /hashkv?revision=R[&appliedIndex=I]` on the peer port: their store hash
//   at R (kvstore hash.ts: the key space as it was at R), once they applied index I (bounded
//   wait). A peer that compacted past R, or has not reached R, says so and is skipped.
// - Periodic check (leader, every --corrupt-check-interval): R and I are the leader's current
//   revision and applied index, read together; every member's hash at R is compared. Members
//   outside the largest group of equal hashes (ties: the leader's group wins) get a CORRUPT
//   alarm naming them, proposed through Raft, so every member refuses writes (op-server.ts).
// - Initial check (a starting member, once it serves; --initial-corrupt-check): the member
//   compares its hash at its revision when serving started with its peers'; when at least as
//   many peers differ as agree with it (counting itself), it stops (CorruptDataDir, exit 3).
//   It does not hold up serving: hashing a million keys takes seconds (issue 14).
//
// Invariants: a check never blocks the host loop (hashing is the store's bounded async read);
// one periodic check in flight at a time; an unreachable peer is skipped, never guessed at;
// an alarm is proposed once per member (the registry holds one per member and type).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HashResult } from '@kite/protocol';
import { getJson } from './get-json.js';
import type { Logger } from './logger.js';
import type { MemberRegistry } from './member-registry.js';
import { DataDirError } from './raft-log-store.js';
import type { TlsPem } from './tls-files.js';

export const HASHKV_PATH = '/hashkv';
/** How long a peer waits to apply the leader's index before it answers "behind". */
const PEER_APPLY_WAIT_MS_MAX = 5_000;
/** A peer's answer must come within this (it hashes its whole store). */
const PEER_HASH_TIMEOUT_MS = 15_000;
/**
 * The initial check waits for its peers' hashes after its own hash is done, for as long as
 * its own took and at least this long: they hash the same store, about as slowly (a busy
 * leader more slowly: twice as long is allowed). A fixed 3 s from the start was shorter
 * than any hash of a million keys (5-40 s here), so at that size no peer was ever compared
 * (the check logged "agree 0, differ 0") while each peer still hashed its whole store.
 */
const INITIAL_CHECK_GRACE_MS = 3_000;
/** Bound on one peer's answer to the initial check (a down peer refuses at once). */
const INITIAL_CHECK_PEER_WAIT_MS_MAX = 300_000;
/** Hash requests a member serves at once (each reads its whole store); more get HTTP 503. */
export const HASH_REQUESTS_MAX = 2;

/** One member's answer to a hash request. */
export type PeerHash =
  | { readonly memberId: string; readonly status: 'ok'; readonly hash: number; readonly hashRevision: number; readonly compactRevision: number }
  | { readonly memberId: string; readonly status: 'compacted'; readonly compactRevision: number }
  | { readonly memberId: string; readonly status: 'behind'; readonly revision: number };

/** What a member needs to answer a hash request. */
export interface HashSource {
  readonly selfId: string;
  readonly currentRevision: () => number;
  readonly compactRevision: () => number;
  hash(revision: number): Promise<HashResult>;
  /** Resolves once this member applied `index`; rejects after `timeoutMs`. */
  waitApplied(index: number, timeoutMs: number): Promise<void>;
}

/**
 * One store hash per revision at a time: a request for a revision whose hash is being
 * computed joins it. When all members restart at once, each one's initial check and both
 * peers' requests asked for the same revision together, and each member hashed its whole
 * store three times over (a million keys: ~4 s of CPU each) while Raft waited for the CPU.
 * Only running hashes are shared, never kept: a snapshot install waits for running reads,
 * so a joined hash is of the content that was live when the request came. Entries are
 * bounded by the hashes running at once (HASH_REQUESTS_MAX from peers, plus this member's).
 */
export function sharedHashes(hash: (revision: number) => Promise<HashResult>): (revision: number) => Promise<HashResult> {
  const running = new Map<number, Promise<HashResult>>();
  return (revision) => {
    const joined = running.get(revision);
    if (joined !== undefined) return joined;
    const started = hash(revision).finally(() => running.delete(revision));
    running.set(revision, started);
    return started;
  };
}

/** This member's hash at `revision` (after applying `appliedIndex`, when given), as a peer answers it. */
export async function localHash(src: HashSource, revision: number, appliedIndex: number | null): Promise<PeerHash> {
  if (appliedIndex !== null) await src.waitApplied(appliedIndex, PEER_APPLY_WAIT_MS_MAX).catch(() => undefined);
  const memberId = src.selfId;
  if (revision > src.currentRevision()) return { memberId, status: 'behind', revision: src.currentRevision() };
  if (revision <= src.compactRevision()) return { memberId, status: 'compacted', compactRevision: src.compactRevision() };
  try {
    const h = await src.hash(revision);
    return { memberId, status: 'ok', hash: h.hash, hashRevision: h.hashRevision, compactRevision: h.compactRevision };
  } catch (err) {
    // A compaction that landed while hashing: skipped like one that was there before.
    if ((err as { code?: unknown }).code === 'Compacted') return { memberId, status: 'compacted', compactRevision: src.compactRevision() };
    throw err;
  }
}

/** The peer port's `/hashkv` door, with a bound on the hashes it computes at once. */
export class HashKvDoor {
  private inFlight = 0;

  constructor(
    private readonly src: HashSource,
    private readonly logger: Logger,
  ) {}

  /** Answers a `/hashkv` request; false when the request is for another path. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://peer');
    if (url.pathname !== HASHKV_PATH) return false;
    const revision = nonNegativeInt(url.searchParams.get('revision'));
    const appliedRaw = url.searchParams.get('appliedIndex');
    const appliedIndex = appliedRaw === null ? null : nonNegativeInt(appliedRaw);
    if (revision === null || revision === 0 || (appliedRaw !== null && appliedIndex === null)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('revision (a positive integer) and an optional appliedIndex are required\n');
      return true;
    }
    if (this.inFlight >= HASH_REQUESTS_MAX) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end(`${HASH_REQUESTS_MAX} hash requests already in flight\n`);
      return true;
    }
    this.inFlight++;
    localHash(this.src, revision, appliedIndex)
      .then(
        (answer) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer)),
        (err: unknown) => {
          this.logger.warn({ err: (err as Error).message, revision }, 'hashkv request failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(err as Error).message}\n`);
        },
      )
      .finally(() => this.inFlight--);
    return true;
  }
}

function nonNegativeInt(raw: string | null): number | null {
  if (raw === null || !/^\d{1,15}$/.test(raw)) return null;
  return Number(raw);
}

/** Asks a peer for its hash; null when it cannot be reached or answers nonsense. */
export async function fetchPeerHash(peerUrl: string, tls: TlsPem | null, revision: number, appliedIndex: number | null, timeoutMs: number, signal?: AbortSignal): Promise<PeerHash | null> {
  const query = `revision=${revision}${appliedIndex === null ? '' : `&appliedIndex=${appliedIndex}`}`;
  const body = (await getJson(`${peerUrl}${HASHKV_PATH}?${query}`, tls, timeoutMs, signal)) as Partial<Record<string, unknown>> | null;
  if (body === null || typeof body !== 'object' || typeof body['memberId'] !== 'string') return null;
  if (body['status'] === 'ok' && typeof body['hash'] === 'number' && body['hashRevision'] === revision) return body as unknown as PeerHash;
  if (body['status'] === 'compacted' || body['status'] === 'behind') return body as unknown as PeerHash;
  return null;
}

/**
 * Which members hold a hash different from the largest group of equal hashes (ties: the
 * group holding `leaderId`). Members that did not answer with a hash are not judged.
 */
export function divergentMembers(leaderId: string, hashes: ReadonlyMap<string, number>): string[] {
  const groups = new Map<number, string[]>();
  for (const [id, h] of hashes) groups.set(h, [...(groups.get(h) ?? []), id]);
  let best: string[] = [];
  for (const ids of groups.values()) {
    if (ids.length > best.length || (ids.length === best.length && ids.includes(leaderId))) best = ids;
  }
  return [...hashes.keys()].filter((id) => !best.includes(id)).sort();
}

/** What the periodic check needs from the member. */
export interface CorruptCheckDeps {
  readonly source: HashSource;
  readonly registry: MemberRegistry;
  readonly tls: () => TlsPem | null;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly isLeader: () => boolean;
  /** The store's applied index (paired with its current revision: read in the same turn). */
  readonly appliedIndex: () => number;
  /** Proposes a CORRUPT alarm naming `memberId`; resolves once applied here. */
  raiseCorrupt(memberId: string): Promise<void>;
  /** A check compared hashes (the metric). */
  onChecked(): void;
}

/** The leader's periodic check. */
export class CorruptChecker {
  private timer: NodeJS.Timeout | null = null;
  private inFlight = false;

  constructor(private readonly deps: CorruptCheckDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async tick(): Promise<void> {
    if (this.inFlight || !this.deps.isLeader()) return;
    this.inFlight = true;
    try {
      await this.checkOnce();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'corruption check failed; trying again next interval');
    } finally {
      this.inFlight = false;
    }
  }

  /** One round: every member's hash at the leader's current revision, compared. */
  async checkOnce(): Promise<string[]> {
    const { source, registry } = this.deps;
    const revision = source.currentRevision();
    const appliedIndex = this.deps.appliedIndex();
    if (revision < 1) return [];
    const own = await localHash(source, revision, null);
    if (own.status !== 'ok') return [];
    const peers = registry.list().filter((m) => m.id !== source.selfId && m.peerUrls[0] !== undefined);
    const answers = await Promise.all(
      peers.map((m) =>
        fetchPeerHash(m.peerUrls[0] as string, this.deps.tls(), revision, appliedIndex, PEER_HASH_TIMEOUT_MS).catch((err: unknown) => {
          this.deps.logger.debug({ member: m.id, err: (err as Error).message }, 'corruption check: member did not answer');
          return null;
        }),
      ),
    );
    const hashes = new Map<string, number>([[source.selfId, own.hash]]);
    answers.forEach((a, i) => {
      // An answer must come from the member asked (a peer URL reused by another member is skipped).
      if (a?.status === 'ok' && a.memberId === peers[i]?.id) hashes.set(a.memberId, a.hash);
    });
    this.deps.onChecked();
    if (!this.deps.isLeader()) return [];
    const divergent = divergentMembers(source.selfId, hashes);
    for (const id of divergent) {
      if (registry.hasAlarm('CORRUPT', id)) continue;
      const detail = [...hashes].map(([m, h]) => `${m}=${h.toString(16)}`).join(' ');
      this.deps.logger.error({ member: id, revision, hashes: detail }, `corruption check: member ${id}'s store differs from the others at revision ${revision}; raising the CORRUPT alarm`);
      await this.deps.raiseCorrupt(id);
    }
    return divergent;
  }
}

/**
 * The initial check: refuses (CorruptDataDir) when at least as many reachable peers differ
 * from this member at its current revision as agree with it, itself included.
 */
export async function initialCorruptCheck(
  source: HashSource,
  registry: MemberRegistry,
  tls: TlsPem | null,
  logger: Logger,
  /** The least wait for peers after the own hash (tests shorten it). */
  graceMinMs = INITIAL_CHECK_GRACE_MS,
): Promise<void> {
  const revision = source.currentRevision();
  // A member joining with an empty store has nothing to compare (its first state is a snapshot).
  if (revision < 1) return;
  const peers = registry.list().filter((m) => m.id !== source.selfId && m.peerUrls[0] !== undefined);
  // Peers hash while this member does; a peer that has not answered within the grace after
  // this member's own hash is skipped (so is one not up yet: it is asked once). Requests still open then are abandoned, also when the
  // check ends otherwise (the member stops): an open request keeps a stopping process alive.
  const abandon = new AbortController();
  let own: PeerHash;
  let answers: (PeerHash | null)[];
  try {
    const asked = peers.map((m) => fetchPeerHash(m.peerUrls[0] as string, tls, revision, null, INITIAL_CHECK_PEER_WAIT_MS_MAX, abandon.signal).catch(() => null));
    const hashStartMs = performance.now();
    own = await localHash(source, revision, null);
    if (own.status !== 'ok') return;
    const graceMs = Math.max(graceMinMs, performance.now() - hashStartMs);
    const graceOver = new Promise<null>((resolve) => setTimeout(() => resolve(null), graceMs).unref());
    answers = await Promise.all(asked.map((answer) => Promise.race([answer, graceOver])));
  } finally {
    abandon.abort();
  }
  const differ: string[] = [];
  let agree = 1;
  answers.forEach((a, i) => {
    if (a?.status !== 'ok' || a.memberId !== peers[i]?.id) return;
    if (a.hash === own.hash) agree++;
    else differ.push(`${a.memberId} (hash ${a.hash.toString(16)})`);
  });
  logger.info({ revision, agree: agree - 1, differ: differ.length, asked: peers.length }, 'initial corruption check done');
  if (differ.length > 0 && differ.length >= agree) {
    throw new DataDirError(
      'CorruptDataDir',
      `initial corruption check: this member's store (hash ${own.hash.toString(16)} at revision ${revision}) differs from ${differ.join(', ')} with local checksums intact`,
    );
  }
}
