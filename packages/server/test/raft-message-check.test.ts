import { describe, expect, it } from 'vitest';
import { checkRaftMessage } from '../src/raft-message-check.js';

const base = { from: 'a', to: 'b', term: 3 };
const entry = { index: 5, term: 3, type: 'normal', data: new Uint8Array([1]) };

describe('checkRaftMessage', () => {
  it('accepts well-formed messages of every kind', () => {
    const good = [
      { ...base, type: 'appendEntries', index: 4, logTerm: 2, commit: 4, entries: [entry] },
      { ...base, type: 'appendEntries', index: 5, logTerm: 3, commit: 5, entries: [], noAck: true },
      { ...base, type: 'appendEntriesResponse', index: 5, reject: false, rejectHint: 0, logTerm: 0 },
      { ...base, type: 'requestVote', preVote: true, lastLogIndex: 5, lastLogTerm: 3, transfer: false },
      { ...base, type: 'requestVoteResponse', preVote: false, reject: true },
      { ...base, type: 'heartbeat', commit: 5, context: null, leaseTick: 9 },
      { ...base, type: 'heartbeatResponse', context: 'c', leaseTick: 9 },
      { ...base, type: 'installSnapshot', snapshot: { metadata: { index: 9, term: 3, confState: { voters: ['a', 'b'], learners: [] } }, data: new Uint8Array() } },
      { ...base, type: 'timeoutNow' },
      { ...base, type: 'readIndex', context: 'r1' },
      { ...base, type: 'readIndexResponse', context: 'r1', index: 5 },
      { ...base, type: 'transferLeader', target: 'c' },
    ];
    for (const m of good) expect(checkRaftMessage(m, 'a', 'b'), m.type).not.toBeNull();
  });

  it('drops messages with wrong addressing, unknown types or mistyped fields', () => {
    const bad: unknown[] = [
      null,
      'x',
      { ...base, from: 'z', type: 'timeoutNow' },
      { ...base, to: 'z', type: 'timeoutNow' },
      { ...base, term: -1, type: 'timeoutNow' },
      { ...base, type: 'bogus' },
      { ...base, type: 'appendEntries', index: 4, logTerm: 2, commit: 4, entries: [{ ...entry, data: 'str' }] },
      { ...base, type: 'appendEntries', index: '4', logTerm: 2, commit: 4, entries: [] },
      { ...base, type: 'appendEntries', index: 4, logTerm: 2, commit: 4, entries: [], noAck: 'yes' },
      { ...base, type: 'installSnapshot', snapshot: { metadata: { index: 9, term: 3 }, data: new Uint8Array() } },
      { ...base, type: 'readIndexResponse', context: 'r1', index: 1.5 },
    ];
    for (const m of bad) expect(checkRaftMessage(m, 'a', 'b')).toBeNull();
  });
});
