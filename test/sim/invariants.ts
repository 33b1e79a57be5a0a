// Raft's safety properties (Raft paper, Figure 3), checked incrementally after every simulated
// step against what the hosts persisted and applied:
// - Election Safety: at most one leader per term (from each core's status()).
// - Leader Append-Only: while a member leads in term T its log only grows. Checked on the
//   leader's (lastIndex, lastTerm); with Log Matching below that pins the whole prefix.
// - Log Matching: every (index, term) ever persisted by anyone names one entry (same type and
//   data) whose predecessor has one term; by induction equal (index, term) means equal prefixes.
// - Leader Completeness: an entry reported committed by a member in term C is in the log of
//   every leader of a term >= C (stale leaders of older terms are exempt). Checked ahead of
//   time too: no member lacking the newest committed entry may have a log at least as up to
//   date (§5.4.1) as a quorum's, since it could then be elected without it. In correct Raft a
//   quorum holds an entry of the committing term at or after it, so such a member's last term
//   is lower than theirs; the Figure-8 mistake (counting replicas of an old-term entry) breaks
//   exactly this, which makes it visible before the overwriting election happens. (The
//   cluster runs this look-ahead only while the voter set is the bootstrap one.)
// - State Machine Safety: no two members apply different entries at one index; snapshots agree
//   with what was applied at their index.
// - Vote Stability: a member's durable vote never changes within a term and terms never drop.
// Violations throw SimViolation at the first step where they become visible.

import type { Entry, LogIndex, NodeId, Ready, Role, Snapshot, Storage, Term } from './core.js';
import { SimViolation } from './violation.js';

/** What the checker reads of a member: a CheckedHost (host.ts), or a stand-in in the checker's own tests. */
export interface CheckedHost {
  readonly id: NodeId;
  readonly durable: Storage;
  readonly alive: boolean;
  readonly raw: { status(): { readonly role: Role; readonly term: Term } };
}

interface EntryIdentity {
  readonly prevTerm: Term | undefined;
  readonly content: string;
}

interface Committed {
  readonly term: Term | undefined; // undefined when only known through a snapshot
  readonly commitTerm: Term;
  readonly by: NodeId;
}

interface LeaderMark {
  readonly term: Term;
  readonly lastIndex: LogIndex;
  readonly lastTerm: Term;
  /** Committed indices up to here were verified present in this leader's log. */
  readonly completeUpTo: LogIndex;
}

export class SafetyChecker {
  private readonly leaderOfTerm = new Map<Term, NodeId>();
  private readonly identities = new Map<string, EntryIdentity>();
  private readonly committed: Committed[] = []; // by index; index 0 unused
  private readonly commitSeen = new Map<NodeId, LogIndex>();
  private readonly appliedAt: string[] = [];
  private readonly leaderMarks = new Map<NodeId, LeaderMark>();
  private readonly durableVote = new Map<NodeId, { term: Term; vote: NodeId | null }>();

  /** Called after a host persisted a Ready (step 1 of the host loop). */
  onPersisted(host: CheckedHost, rd: Ready): void {
    const store = host.durable;
    for (const e of rd.entries) this.checkIdentity(host.id, e, termAt(store, e.index - 1));
    const hs = store.initialState().hardState;
    this.checkVote(host.id, hs.term, hs.vote);
    this.recordCommits(host, hs.commit, hs.term);
  }

  onApplied(host: CheckedHost, entry: Entry): void {
    const content = entryContent(entry);
    const prior = this.appliedAt[entry.index];
    if (prior === undefined) this.appliedAt[entry.index] = content;
    else if (prior !== content) {
      throw new SimViolation(
        'State Machine Safety',
        `${host.id} applied ${content} at index ${entry.index}, another member applied ${prior}`,
      );
    }
  }

  onSnapshotRestored(host: CheckedHost, snap: Snapshot): void {
    const { index, term } = snap.metadata;
    const prior = this.appliedAt[index];
    if (prior !== undefined && !prior.startsWith(`t${term}/`)) {
      throw new SimViolation(
        'State Machine Safety',
        `${host.id} restored a snapshot at ${index} term ${term}, but ${prior} was applied there`,
      );
    }
  }

  /** Called after every simulated step with the live hosts. */
  observeRoles(hosts: readonly CheckedHost[]): void {
    for (const host of hosts) {
      if (!host.alive) continue;
      const st = host.raw.status();
      if (st.role !== 'leader') {
        this.leaderMarks.delete(host.id);
        continue;
      }
      const known = this.leaderOfTerm.get(st.term);
      if (known === undefined) this.leaderOfTerm.set(st.term, host.id);
      else if (known !== host.id) {
        throw new SimViolation('Election Safety', `${known} and ${host.id} both led term ${st.term}`);
      }
      this.checkLeaderLog(host, st.term);
    }
  }

  /** Fails when some member lacking the newest committed entry could still win an election. */
  checkCommittedSurvives(hosts: readonly CheckedHost[]): void {
    let index = this.committedIndex;
    while (index > 0 && this.committed[index]?.term === undefined) index--;
    const entry = this.committed[index];
    if (index === 0 || entry === undefined || entry.term === undefined) return;
    const quorum = Math.floor(hosts.length / 2) + 1;
    for (const x of hosts) {
      const xs = x.durable;
      if (index <= snapshotIndex(xs) || termAt(xs, index) === entry.term) continue;
      const xLast = lastOf(xs);
      const voters = hosts.filter((y) => atLeastAsUpToDate(xLast, lastOf(y.durable)));
      if (voters.length >= quorum) {
        throw new SimViolation(
          'Leader Completeness',
          `${x.id} lacks committed entry ${index}/${entry.term} (committed as seen by ${entry.by} in term ` +
            `${entry.commitTerm}) yet its log ${xLast.index}/${xLast.term} is as up to date as ` +
            `${voters.map((y) => y.id).join(',')}: it could be elected without the entry`,
        );
      }
    }
  }

  /** Terms in which some member was seen leading. */
  get leaderTermCount(): number {
    return this.leaderOfTerm.size;
  }

  /** Highest index known committed (for liveness and reporting). */
  get committedIndex(): LogIndex {
    return this.committed.length === 0 ? 0 : this.committed.length - 1;
  }

  private checkIdentity(id: NodeId, e: Entry, prevTerm: Term | undefined): void {
    const key = `${e.index}/${e.term}`;
    const content = entryContent(e);
    const known = this.identities.get(key);
    if (known === undefined) {
      this.identities.set(key, { prevTerm, content });
      return;
    }
    if (known.content !== content) {
      throw new SimViolation('Log Matching', `${id} persisted ${content} at ${key}, elsewhere ${known.content}`);
    }
    if (prevTerm !== undefined && known.prevTerm !== undefined && prevTerm !== known.prevTerm) {
      throw new SimViolation(
        'Log Matching',
        `${id} has term ${prevTerm} before ${key}, another log has term ${known.prevTerm}`,
      );
    }
    if (known.prevTerm === undefined && prevTerm !== undefined) {
      this.identities.set(key, { prevTerm, content });
    }
  }

  private checkVote(id: NodeId, term: Term, vote: NodeId | null): void {
    const prior = this.durableVote.get(id);
    if (prior !== undefined) {
      if (term < prior.term) {
        throw new SimViolation('Vote Stability', `${id} durable term went ${prior.term} -> ${term}`);
      }
      if (term === prior.term && prior.vote !== null && vote !== prior.vote) {
        throw new SimViolation('Vote Stability', `${id} changed its vote in term ${term}: ${prior.vote} -> ${vote}`);
      }
    }
    this.durableVote.set(id, { term, vote });
  }

  private recordCommits(host: CheckedHost, commit: LogIndex, term: Term): void {
    const seen = this.commitSeen.get(host.id) ?? 0;
    if (commit <= seen) return;
    for (let i = seen + 1; i <= commit; i++) {
      const t = termAt(host.durable, i);
      const prior = this.committed[i];
      if (prior === undefined) {
        this.committed[i] = { term: t, commitTerm: term, by: host.id };
      } else if (prior.term !== undefined && t !== undefined && prior.term !== t) {
        throw new SimViolation(
          'State Machine Safety',
          `index ${i} committed with term ${prior.term} (by ${prior.by}) and term ${t} (by ${host.id})`,
        );
      } else if (prior.term === undefined && t !== undefined) {
        this.committed[i] = { term: t, commitTerm: prior.commitTerm, by: host.id };
      }
    }
    this.commitSeen.set(host.id, commit);
  }

  private checkLeaderLog(host: CheckedHost, term: Term): void {
    const store = host.durable;
    const lastIndex = store.lastIndex();
    const lastTerm = termAt(store, lastIndex) ?? 0;
    const mark = this.leaderMarks.get(host.id);
    let completeUpTo = 0;
    if (mark !== undefined && mark.term === term) {
      const now = termAt(store, mark.lastIndex);
      const compacted = mark.lastIndex <= snapshotIndex(store);
      if (lastIndex < mark.lastIndex || (!compacted && now !== mark.lastTerm)) {
        throw new SimViolation(
          'Leader Append-Only',
          `${host.id} led term ${term} with last entry ${mark.lastIndex}/${mark.lastTerm}, now ${lastIndex}/${lastTerm}` +
            (now === undefined ? '' : ` (term ${now} at ${mark.lastIndex})`),
        );
      }
      completeUpTo = mark.completeUpTo;
    }
    completeUpTo = this.checkCompleteness(host, term, completeUpTo);
    this.leaderMarks.set(host.id, { term, lastIndex, lastTerm, completeUpTo });
  }

  private checkCompleteness(host: CheckedHost, term: Term, from: LogIndex): LogIndex {
    const store = host.durable;
    const snapIndex = snapshotIndex(store);
    const top = this.committedIndex;
    for (let i = from + 1; i <= top; i++) {
      const c = this.committed[i];
      if (c === undefined || c.commitTerm > term || i <= snapIndex) continue;
      const t = termAt(store, i);
      if (t === undefined || (c.term !== undefined && t !== c.term)) {
        throw new SimViolation(
          'Leader Completeness',
          `${host.id} leads term ${term} but lacks committed entry ${i}/${c.term ?? '?'} ` +
            `(committed as seen by ${c.by} in term ${c.commitTerm}; leader has ${t === undefined ? 'nothing' : `term ${t}`})`,
        );
      }
    }
    return top;
  }
}

/** The term at `index` in durable storage, or undefined if compacted away or beyond the end. */
export function termAt(store: Storage, index: LogIndex): Term | undefined {
  const snap = store.snapshot().metadata;
  if (index === snap.index) return snap.term;
  if (index < store.firstIndex() - 1 || index > store.lastIndex()) return undefined;
  return store.term(index);
}

interface LastEntry {
  readonly index: LogIndex;
  readonly term: Term;
}

function lastOf(store: Storage): LastEntry {
  const index = store.lastIndex();
  return { index, term: termAt(store, index) ?? 0 };
}

/** §5.4.1 as a voter applies it: a higher last term wins, or an equal term and a longer log. */
function atLeastAsUpToDate(candidate: LastEntry, voter: LastEntry): boolean {
  return candidate.term > voter.term || (candidate.term === voter.term && candidate.index >= voter.index);
}

/** Entries at or below this index are compacted away (covered by the member's snapshot). */
function snapshotIndex(store: Storage): LogIndex {
  return store.firstIndex() - 1;
}

const hex = (data: Uint8Array): string => Buffer.from(data).toString('hex');

function entryContent(e: Entry): string {
  return `t${e.term}/${e.type}/${hex(e.data)}`;
}
