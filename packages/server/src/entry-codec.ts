// The host's envelope inside Raft entries. A normal entry's data is empty (the leader's no-op)
// or msgpack [ENTRY_VERSION, kind, proposer, seq, payload]: `proposer` + `seq` let the member
// that proposed it find the waiting request when the entry is applied (on every member the
// entry is applied the same way; only the proposer answers). Conf-change entries carry the
// core's encodeConfChange bytes, whose `context` is a ConfChangeContext.

import { ALARM_TYPES, type AlarmType } from '@kite/protocol';
import { Packr } from 'msgpackr';

export const ENTRY_VERSION = 1;

export type EntryKind = 'kv' | 'attrs' | 'alarm' | 'peerUrls';
const ENTRY_KINDS: readonly unknown[] = ['kv', 'attrs', 'alarm', 'peerUrls'];

/**
 * Raising or clearing an alarm (etcd's AlarmRequest ACTIVATE / DEACTIVATE). Replicated, so
 * every member refuses the same writes, and kept in the registry, so a restart keeps it.
 */
export interface AlarmChange {
  readonly action: 'activate' | 'deactivate';
  readonly memberId: string;
  readonly alarm: AlarmType;
}

/** A member publishing its name and client URLs (etcd's publish). */
export interface MemberAttributes {
  readonly memberId: string;
  readonly name: string;
  readonly clientUrls: readonly string[];
  /** Its etcd door's URLs; absent from members that predate the door or run without it. */
  readonly grpcUrls?: readonly string[];
}

/**
 * A member's new peer URLs (etcd's MemberUpdate, which etcd carries as a ConfChangeUpdateNode).
 * Kite carries it as a registry command: it changes no voter or learner set, so Raft's
 * configuration has nothing to do with it, only the registry and the transport.
 */
export interface MemberPeerUrls {
  readonly memberId: string;
  readonly peerUrls: readonly string[];
}

export interface HostEntry {
  readonly kind: EntryKind;
  readonly proposer: string;
  readonly seq: number;
  /** kv: the kvstore command bytes; attrs: encoded MemberAttributes; alarm: encoded AlarmChange; peerUrls: encoded MemberPeerUrls. */
  readonly payload: Uint8Array;
}

/** Host data riding on a ConfChange: who proposed it and the new member's URLs. */
export interface ConfChangeContext {
  readonly proposer: string;
  readonly seq: number;
  readonly peerUrls: readonly string[];
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
const asBytes = (v: unknown): Uint8Array => (v instanceof Uint8Array ? v : new Uint8Array(0));

export function encodeHostEntry(e: HostEntry): Uint8Array {
  return packr.pack([ENTRY_VERSION, e.kind, e.proposer, e.seq, e.payload]);
}

/**
 * Decodes a committed entry's data. Entries were encoded by members of this cluster, so a
 * failure here means a broken invariant (or a newer, incompatible member): it throws.
 */
export function decodeHostEntry(data: Uint8Array): HostEntry {
  const raw = packr.unpack(data) as unknown;
  if (!Array.isArray(raw) || raw[0] !== ENTRY_VERSION || !ENTRY_KINDS.includes(raw[1]) || typeof raw[2] !== 'string' || typeof raw[3] !== 'number') {
    throw new Error(`assertion: undecodable entry envelope (version ${String(Array.isArray(raw) ? raw[0] : raw)})`);
  }
  return { kind: raw[1] as EntryKind, proposer: raw[2], seq: raw[3], payload: asBytes(raw[4]) };
}

export function encodeAttrs(a: MemberAttributes): Uint8Array {
  return packr.pack({ memberId: a.memberId, name: a.name, clientUrls: [...a.clientUrls], ...(a.grpcUrls !== undefined ? { grpcUrls: [...a.grpcUrls] } : {}) });
}

export function decodeAttrs(b: Uint8Array): MemberAttributes {
  const v = packr.unpack(b) as Partial<MemberAttributes>;
  const grpcUrls = Array.isArray(v.grpcUrls) ? { grpcUrls: v.grpcUrls.map(String) } : {};
  return { memberId: String(v.memberId), name: String(v.name), clientUrls: Array.isArray(v.clientUrls) ? v.clientUrls.map(String) : [], ...grpcUrls };
}

export function encodeAlarmChange(a: AlarmChange): Uint8Array {
  return packr.pack({ action: a.action, memberId: a.memberId, alarm: a.alarm });
}

/** Written by a member of this cluster: a malformed one is a broken invariant. */
export function decodeAlarmChange(b: Uint8Array): AlarmChange {
  const v = packr.unpack(b) as Partial<AlarmChange> | null;
  if (v === null || typeof v !== 'object' || (v.action !== 'activate' && v.action !== 'deactivate') || typeof v.memberId !== 'string' || !ALARM_TYPES.includes(v.alarm as AlarmType)) {
    throw new Error('assertion: undecodable alarm change');
  }
  return { action: v.action, memberId: v.memberId, alarm: v.alarm as AlarmType };
}

export function encodeMemberPeerUrls(u: MemberPeerUrls): Uint8Array {
  return packr.pack({ memberId: u.memberId, peerUrls: [...u.peerUrls] });
}

/** Written by a member of this cluster: a malformed one is a broken invariant. */
export function decodeMemberPeerUrls(b: Uint8Array): MemberPeerUrls {
  const v = packr.unpack(b) as Partial<MemberPeerUrls> | null;
  if (v === null || typeof v !== 'object' || typeof v.memberId !== 'string' || !Array.isArray(v.peerUrls) || v.peerUrls.length === 0) {
    throw new Error('assertion: undecodable member peer URL update');
  }
  return { memberId: v.memberId, peerUrls: v.peerUrls.map(String) };
}

export function encodeConfContext(c: ConfChangeContext): Uint8Array {
  return packr.pack({ proposer: c.proposer, seq: c.seq, peerUrls: [...c.peerUrls] });
}

export function decodeConfContext(b: Uint8Array | undefined): ConfChangeContext | null {
  if (b === undefined || b.length === 0) return null;
  let v: Partial<ConfChangeContext> | null;
  try {
    v = packr.unpack(b) as Partial<ConfChangeContext> | null;
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || typeof v.proposer !== 'string' || typeof v.seq !== 'number') return null;
  return { proposer: v.proposer, seq: v.seq, peerUrls: Array.isArray(v.peerUrls) ? v.peerUrls.map(String) : [] };
}
