// The host loop's ordering contract (host.ts, steps 2-9) as data: `planReady` turns the shape
// of one Ready into the ordered effects the host carries out, and `contractViolations` states
// the contract's rules so a test can check every plan against them (and check that the rules
// reject a broken plan). The host's executor (Host.handleReady) only runs the plan's steps in
// order; what each step does stays in host.ts.
//
// Pure: no I/O, no time; the same shape always gives the same plan.

/** One effect of a Ready, in the order the plan lists them. */
export type ReadyEffect =
  /** Step 2: leader changes (metrics, lessor clocks, re-issued reads). */
  | 'softState'
  /** Step 3: committed entries (persisted by an earlier Ready) go on the apply chain now. */
  | 'applyEarly'
  /** Step 5: the WAL write (and fdatasync when mustSync) starts. */
  | 'persistStart'
  /** Steps 4/6: messages leave (a leader's while its write runs, or just before an inline one; anyone else's after it). */
  | 'send'
  /** Step 5: the WAL write is durable; the core's storage mirrors it. */
  | 'persistWait'
  /** Step 7: earlier applies drain, then the store is replaced from the staged snapshot. */
  | 'installSnapshot'
  /** Step 8: committed entries go on the apply chain after the snapshot or with a conf change. */
  | 'applyDeferred'
  /** Step 8: the chain drains (a conf change must reach the core before the next Ready). */
  | 'applyWait'
  /** Step 8: the chain drains only if more than the apply backlog limit waits (back-pressure). */
  | 'applyBackpressure'
  /** Step 9: read states are queued and reads up to the applied index released. */
  | 'reads';

/** What the plan depends on: the Ready's shape and the member's role. */
export interface ReadyShape {
  readonly isLeader: boolean;
  readonly hasSoftState: boolean;
  readonly hasSnapshot: boolean;
  readonly committedEntries: number;
  readonly hasConfChange: boolean;
  /**
   * A leader's write blocks the loop (inline): its messages are sent (and flushed) first, so
   * its appends' round trip still overlaps its write.
   */
  readonly leaderWritesInline: boolean;
}

export function planReady(s: ReadyShape): ReadyEffect[] {
  const plan: ReadyEffect[] = [];
  if (s.hasSoftState) plan.push('softState');
  const applyEarly = !s.hasSnapshot && s.committedEntries > 0 && !s.hasConfChange;
  // Messages never wait for the apply: a commit notice leaves in this turn, so the followers
  // apply in parallel with this member (a follower's client, whose write was forwarded here,
  // waits for its own member's apply).
  if (applyEarly) plan.push('applyEarly');
  if (s.isLeader && s.leaderWritesInline) plan.push('send', 'persistStart', 'persistWait');
  else if (s.isLeader) plan.push('persistStart', 'send', 'persistWait');
  else plan.push('persistStart', 'persistWait', 'send');
  if (s.hasSnapshot) plan.push('installSnapshot');
  if (s.committedEntries > 0) {
    if (!applyEarly) plan.push('applyDeferred');
    plan.push(s.hasConfChange ? 'applyWait' : 'applyBackpressure');
  }
  plan.push('reads');
  return plan;
}

/** The contract's rules; empty when `plan` keeps them all for `s`. */
export function contractViolations(s: ReadyShape, plan: readonly ReadyEffect[]): string[] {
  const out: string[] = [];
  const at = (e: ReadyEffect): number => plan.indexOf(e);
  const count = (e: ReadyEffect): number => plan.filter((x) => x === e).length;
  if (count('persistStart') !== 1 || count('persistWait') !== 1 || at('persistStart') > at('persistWait')) out.push('persist starts once and is waited for once, in that order');
  if (count('send') !== 1) out.push('messages are sent exactly once');
  if (at('send') < at('persistStart') && !(s.isLeader && s.leaderWritesInline)) out.push("the write reaches the disk before any message leaves (the leader's appends and its fsync overlap, never precede)");
  if (s.isLeader && s.leaderWritesInline && at('send') > at('persistStart')) out.push("a leader's appends leave before it blocks on an inline write");
  if (!s.isLeader && at('send') < at('persistWait')) out.push('a follower sends (acks) only after its write is durable');
  const applies = count('applyEarly') + count('applyDeferred');
  if (applies !== (s.committedEntries > 0 ? 1 : 0)) out.push('committed entries are handed to the apply chain exactly once');
  if (s.hasSnapshot) {
    if (count('applyEarly') > 0) out.push('with a snapshot, nothing is applied before it is restored');
    if (count('installSnapshot') !== 1 || at('installSnapshot') < at('persistWait')) out.push('a snapshot is restored once, after its record is durable');
    if (count('applyDeferred') > 0 && at('applyDeferred') < at('installSnapshot')) out.push('entries after a snapshot are applied after the snapshot is restored');
  } else if (count('installSnapshot') > 0) {
    out.push('no snapshot, no install');
  }
  if (s.hasConfChange && s.committedEntries > 0) {
    if (count('applyEarly') > 0) out.push('a conf change is applied after this Ready is sent and persisted');
    if (count('applyWait') !== 1 || at('applyWait') < at('applyDeferred')) out.push('a conf change reaches the core before the next Ready');
  }
  if (s.hasSoftState && at('softState') !== 0) out.push('soft state comes first');
  if (plan[plan.length - 1] !== 'reads') out.push('reads are released last, at the applied index');
  return out;
}
