// The cluster as the console shows it: the member list (re-read every PROBE_INTERVAL_MS, a
// serializable read of the member the console is linked to; membership has no watch), one
// MemberProbe per member, the leader changes seen (newest first, bounded) and the alarms
// (re-read only when some member's reported conditions change). Listeners get an immutable
// snapshot after every change.
import type { AlarmMember, KiteClient, Member, MemberId } from '@kite/client/browser';
import { errorText } from '../error-text.js';
import { MemberProbe, PROBE_INTERVAL_MS, type ProbeResult } from './member-probe.js';

/** Leader changes kept for display. */
export const LEADER_CHANGES_MAX = 50;

export interface LeaderChange {
  /** Wall time, for display only. */
  readonly at: Date;
  readonly term: number;
  readonly from: MemberId | null;
  readonly to: MemberId | null;
}

export interface ClusterSnapshot {
  readonly members: readonly Member[];
  /** Per member id; absent until the first probe answered or failed. */
  readonly probes: ReadonlyMap<MemberId, ProbeResult>;
  readonly leader: MemberId | null;
  readonly term: number;
  readonly leaderChanges: readonly LeaderChange[];
  readonly alarms: readonly AlarmMember[];
  readonly listError: string | null;
}

export const EMPTY_CLUSTER: ClusterSnapshot = {
  members: [], probes: new Map(), leader: null, term: 0, leaderChanges: [], alarms: [], listError: null,
};

export class ClusterModel {
  private members: readonly Member[] = [];
  private readonly probes = new Map<string, MemberProbe>();
  private readonly results = new Map<MemberId, ProbeResult>();
  private leader: MemberId | null = null;
  private term = 0;
  private leaderChanges: LeaderChange[] = [];
  private alarms: readonly AlarmMember[] = [];
  private alarmKey = '';
  private listError: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly client: KiteClient, private readonly onChange: (s: ClusterSnapshot) => void) {}

  start(): void {
    void this.refreshMembers();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const p of this.probes.values()) p.close();
    this.probes.clear();
  }

  private async refreshMembers(): Promise<void> {
    try {
      const list = await this.client.members.list({ serializable: true });
      if (this.closed) return;
      this.members = list.members;
      this.listError = null;
      this.syncProbes();
    } catch (err) {
      this.listError = errorText(err);
    }
    if (this.closed) return;
    this.publish();
    this.timer = setTimeout(() => void this.refreshMembers(), PROBE_INTERVAL_MS);
  }

  /** One probe per member with a client URL; probes of removed members are closed. */
  private syncProbes(): void {
    const wanted = new Map<string, MemberId>();
    for (const m of this.members) {
      const url = m.clientUrls[0];
      if (url !== undefined) wanted.set(url, m.id);
    }
    for (const [url, probe] of this.probes) {
      if (!wanted.has(url)) {
        probe.close();
        this.probes.delete(url);
      }
    }
    for (const [url, id] of wanted) {
      if (this.probes.has(url)) continue;
      const probe = new MemberProbe(url, (r) => this.onProbe(id, r));
      this.probes.set(url, probe);
      probe.start();
    }
    for (const id of [...this.results.keys()]) if (!this.members.some((m) => m.id === id)) this.results.delete(id);
  }

  private onProbe(id: MemberId, r: ProbeResult): void {
    if (this.closed) return;
    this.results.set(id, r);
    if (r.up) this.noteLeader(r.status.leader, r.status.raftTerm);
    this.checkAlarms();
    this.publish();
  }

  /** A newer term with a leader, or a different leader in the same term, is a leader change. */
  private noteLeader(leader: MemberId | null, term: number): void {
    if (term < this.term || leader === null) return;
    if (term === this.term && leader === this.leader) return;
    if (this.leader !== leader) {
      this.leaderChanges = [{ at: new Date(), term, from: this.leader, to: leader }, ...this.leaderChanges].slice(0, LEADER_CHANGES_MAX);
    }
    this.leader = leader;
    this.term = term;
  }

  /** Alarms are read again only when the conditions members report change. */
  private checkAlarms(): void {
    const key = [...this.results.entries()]
      .map(([id, r]) => (r.up ? `${id}:${r.status.errors.join(',')}` : ''))
      .sort()
      .join(';');
    if (key === this.alarmKey) return;
    this.alarmKey = key;
    this.client.alarms.list().then(
      (r) => {
        if (this.closed) return;
        this.alarms = r.alarms;
        this.publish();
      },
      () => {
        // Unreadable now (no leader): keep the last list; the next change asks again.
        this.alarmKey = '';
      },
    );
  }

  private build(): ClusterSnapshot {
    return {
      members: this.members,
      probes: new Map(this.results),
      leader: this.leader,
      term: this.term,
      leaderChanges: this.leaderChanges,
      alarms: this.alarms,
      listError: this.listError,
    };
  }

  private publish(): void {
    this.onChange(this.build());
  }
}
