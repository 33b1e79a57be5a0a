// Shape checks for Raft messages arriving on a peer link, before they reach the core. Peers
// are authenticated members, but a frame is still bytes from the network: a message whose
// fields do not have the types the core relies on is dropped (and logged), so it can never
// trip one of the core's assertions and stop the member.

import type { Entry, Message, Snapshot } from '@kite/raft';

const isNat = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 64;
const isBool = (x: unknown): x is boolean => typeof x === 'boolean';
const isTick = (x: unknown): boolean => x === undefined || (typeof x === 'number' && Number.isSafeInteger(x));

function isEntry(x: unknown): x is Entry {
  const e = x as Partial<Entry> | null;
  return e !== null && typeof e === 'object' && isNat(e.index) && isNat(e.term) && (e.type === 'normal' || e.type === 'confChange') && e.data instanceof Uint8Array;
}

function isSnapshot(x: unknown): x is Snapshot {
  const s = x as Partial<Snapshot> | null;
  const md = s?.metadata;
  return (
    s !== null && typeof s === 'object' && s.data instanceof Uint8Array && md !== undefined && isNat(md.index) && isNat(md.term) &&
    Array.isArray(md.confState?.voters) && md.confState.voters.every(isId) && Array.isArray(md.confState.learners) && md.confState.learners.every(isId)
  );
}

/** Returns the message typed, or null when it is not a well-formed message from `from` to `self`. */
export function checkRaftMessage(raw: unknown, from: string, self: string): Message | null {
  const m = raw as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object' || m['from'] !== from || m['to'] !== self || !isNat(m['term'])) return null;
  const ok = ((): boolean => {
    switch (m['type']) {
      case 'appendEntries':
        return isNat(m['index']) && isNat(m['logTerm']) && isNat(m['commit']) && Array.isArray(m['entries']) && m['entries'].every(isEntry) && (m['noAck'] === undefined || m['noAck'] === true);
      case 'appendEntriesResponse':
        return isNat(m['index']) && isBool(m['reject']) && isNat(m['rejectHint']) && isNat(m['logTerm']);
      case 'requestVote':
        return isBool(m['preVote']) && isNat(m['lastLogIndex']) && isNat(m['lastLogTerm']) && isBool(m['transfer']);
      case 'requestVoteResponse':
        return isBool(m['preVote']) && isBool(m['reject']);
      case 'heartbeat':
        return isNat(m['commit']) && (m['context'] === null || typeof m['context'] === 'string') && isTick(m['leaseTick']);
      case 'heartbeatResponse':
        return (m['context'] === null || typeof m['context'] === 'string') && isTick(m['leaseTick']);
      case 'installSnapshot':
        return isSnapshot(m['snapshot']);
      case 'timeoutNow':
        return true;
      case 'readIndex':
        return typeof m['context'] === 'string';
      case 'readIndexResponse':
        return typeof m['context'] === 'string' && isNat(m['index']);
      case 'transferLeader':
        return isId(m['target']);
      default:
        return false;
    }
  })();
  return ok ? (m as unknown as Message) : null;
}
