// The cluster's members as the replicated log defines them: ids, names, peer and client URLs,
// learner flags. Changed only by applied entries (conf changes and attribute publishes), so
// every member computes the same registry; saved in the Raft snapshot's data so a member that
// installs a snapshot learns it too.

import { Packr } from 'msgpackr';
import type { ConfChange } from '@kite/raft';
import type { Member } from '@kite/protocol';
import type { MemberAttributes } from './entry-codec.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
const REGISTRY_VERSION = 1;

export class MemberRegistry {
  private readonly members = new Map<string, Member>();
  /** Removed ids are never reused (a removed member must not come back under its old id). */
  private readonly removed = new Set<string>();

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
    this.members.set(a.memberId, { ...m, name: a.name, clientUrls: [...a.clientUrls] });
  }

  encode(): Uint8Array {
    return packr.pack({ version: REGISTRY_VERSION, members: this.list(), removed: [...this.removed] });
  }

  static decode(data: Uint8Array): MemberRegistry {
    const v = packr.unpack(data) as { version?: number; members?: Member[]; removed?: string[] };
    if (v.version !== REGISTRY_VERSION || !Array.isArray(v.members)) {
      throw new Error(`assertion: unknown member registry format ${String(v.version)}`);
    }
    const reg = new MemberRegistry(
      v.members.map((m) => ({ id: String(m.id), name: String(m.name), peerUrls: [...m.peerUrls], clientUrls: [...m.clientUrls], isLearner: m.isLearner === true })),
    );
    for (const id of v.removed ?? []) reg.removed.add(id);
    return reg;
  }
}
