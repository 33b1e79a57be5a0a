// The cluster's members as the replicated log defines them: ids, names, peer and client URLs,
// learner flags. Changed only by applied entries (conf changes, attribute publishes, peer URL
// updates), so every member computes the same registry; saved in the Raft snapshot's data so a
// member that installs a snapshot learns it too. Also holds the cluster's armed alarms (etcd keeps them in
// its backend): replicated state that, like the members, must survive restarts and snapshots.

import { Packr } from 'msgpackr';
import type { ConfChange } from '@kite/raft';
import type { AlarmMember, AlarmType, Member } from '@kite/protocol';
import type { AlarmChange, MemberAttributes, MemberPeerUrls } from './entry-codec.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
const REGISTRY_VERSION = 1;

export class MemberRegistry {
  private readonly members = new Map<string, Member>();
  /** Removed ids are never reused (a removed member must not come back under its old id). */
  private readonly removed = new Set<string>();
  /** Armed alarms as `memberId alarm` keys (a member raises each alarm at most once). */
  private readonly armed = new Map<string, AlarmMember>();

  constructor(initial: readonly Member[] = []) {
    for (const m of initial) this.members.set(m.id, m);
  }

  get(id: string): Member | undefined {
    return this.members.get(id);
  }

  has(id: string): boolean {
    return this.members.has(id);
  }

  isRemoved(id: string): boolean {
    return this.removed.has(id);
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Peer URL per member id (the transport's view). */
  peerUrls(): Map<string, string> {
    const out = new Map<string, string>();
    for (const m of this.members.values()) {
      const url = m.peerUrls[0];
      if (url !== undefined) out.set(m.id, url);
    }
    return out;
  }

  /** Applies a committed conf change (idempotent: replays after restart land on the same state). */
  applyConfChange(cc: ConfChange, peerUrls: readonly string[]): void {
    const existing = this.members.get(cc.nodeId);
    switch (cc.type) {
      case 'addVoter':
      case 'addLearner':
        this.members.set(cc.nodeId, {
          id: cc.nodeId,
          name: existing?.name ?? '',
          peerUrls: peerUrls.length > 0 ? [...peerUrls] : (existing?.peerUrls ?? []),
          clientUrls: existing?.clientUrls ?? [],
          ...(existing?.grpcUrls !== undefined ? { grpcUrls: existing.grpcUrls } : {}),
          isLearner: cc.type === 'addLearner',
        });
        return;
      case 'removeNode':
        this.members.delete(cc.nodeId);
        this.removed.add(cc.nodeId);
        return;
    }
  }

  applyAttributes(a: MemberAttributes): void {
    const m = this.members.get(a.memberId);
    if (m === undefined) return;
    const { grpcUrls: _previous, ...rest } = m;
    this.members.set(a.memberId, { ...rest, name: a.name, clientUrls: [...a.clientUrls], ...(a.grpcUrls !== undefined ? { grpcUrls: [...a.grpcUrls] } : {}) });
  }

  /**
   * Applies a committed peer URL update (etcd's MemberUpdate). A member removed before the
   * update was applied stays removed: the update is a no-op then, on every member alike.
   */
  applyPeerUrls(u: MemberPeerUrls): void {
    const m = this.members.get(u.memberId);
    if (m === undefined) return;
    this.members.set(u.memberId, { ...m, peerUrls: [...u.peerUrls] });
  }

  /** Applies a committed alarm change (idempotent, like the others). */
  applyAlarm(a: AlarmChange): void {
    const key = `${a.memberId} ${a.alarm}`;
    if (a.action === 'activate') this.armed.set(key, { memberId: a.memberId, alarm: a.alarm });
    else this.armed.delete(key);
  }

  /** Armed alarms, sorted by member id then type. */
  alarms(): AlarmMember[] {
    return [...this.armed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  }

  hasAlarm(alarm: AlarmType, memberId?: string): boolean {
    return this.alarms().some((a) => a.alarm === alarm && (memberId === undefined || a.memberId === memberId));
  }

  /** Takes `next`'s alarms (a snapshot install). */
  replaceAlarms(next: MemberRegistry): void {
    this.armed.clear();
    for (const a of next.alarms()) this.applyAlarm({ action: 'activate', ...a });
  }

  encode(): Uint8Array {
    return packr.pack({ version: REGISTRY_VERSION, members: this.list(), removed: [...this.removed], alarms: this.alarms() });
  }

  static decode(data: Uint8Array): MemberRegistry {
    const v = packr.unpack(data) as { version?: number; members?: Member[]; removed?: string[]; alarms?: AlarmMember[] };
    if (v.version !== REGISTRY_VERSION || !Array.isArray(v.members)) {
      throw new Error(`assertion: unknown member registry format ${String(v.version)}`);
    }
    const reg = new MemberRegistry(
      v.members.map((m) => ({
        id: String(m.id), name: String(m.name), peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls], isLearner: m.isLearner === true,
        ...(Array.isArray(m.grpcUrls) ? { grpcUrls: m.grpcUrls.map(String) } : {}),
      })),
    );
    for (const id of v.removed ?? []) reg.removed.add(id);
    // Absent in snapshots written before alarms were replicated: none armed then.
    for (const a of v.alarms ?? []) reg.applyAlarm({ action: 'activate', memberId: String(a.memberId), alarm: a.alarm });
    return reg;
  }
}
