// Who writes the WAL inline (on the event loop, no thread-pool trip each way), while synced
// writes are fast on average: a follower, whose acknowledgement waits for the write anyway;
// a leader for a Ready of a few entries, once its appends are out of the process (so their
// round trip overlaps the write); a leader's bigger batch goes through the pool. Time is an injected
// clock that the test moves while a write is in progress, so "slow" is exact, not measured.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppendEntries, Entry, Message } from '@kite/raft';
import { LEADER_INLINE_ENTRIES_MAX, WAL_INLINE_SYNC_MS_MAX } from '../src/host.js';
import type { KvApplyOutcome } from '../src/kv-port.js';
import { eventually, openThreeMemberHost, WAIT_MS } from './three-member-host.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-inline-wal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The leader m2's append of entry `index` (term 2) to m1, committing everything before it. */
function append(index: number): AppendEntries {
  const entry: Entry = { term: 2, index, type: 'normal', data: new Uint8Array(0) };
  return { type: 'appendEntries', from: 'm2', to: 'm1', term: 2, index: index - 1, logTerm: index - 1 <= 1 ? 1 : 2, entries: [entry], commit: index - 1 };
}

const acked = (sent: readonly Message[], index: number): boolean => sent.some((m) => m.type === 'appendEntriesResponse' && !m.reject && m.index >= index);

describe('inline WAL writes', () => {
  it('a follower writes inline while its synced writes are fast, through the pool once they are slow, and inline again once they are fast', async () => {
    let nowMs = 0;
    /** Milliseconds each WAL write takes on the injected clock. */
    let writeMs = 0;
    const m = await openThreeMemberHost({ dir: path.join(root, 'follower'), clock: () => nowMs });
    const persist = m.logStore.persist.bind(m.logStore);
    m.logStore.persist = (p) => {
      nowMs += writeMs;
      return persist(p);
    };
    try {
      let index = 2;
      const step = async (): Promise<boolean | undefined> => {
        m.host.stepMessages('m2', [append(index)]);
        expect(await eventually(() => acked(m.sent, index))).toBe(true);
        index++;
        return m.persists[m.persists.length - 1]?.inline;
      };
      expect(await step()).toBe(true);
      expect(m.host.leader).toBe('m2');
      // One write far over the limit: the average passes it, the next write goes to the pool.
      writeMs = WAL_INLINE_SYNC_MS_MAX * 40;
      expect(await step()).toBe(true);
      writeMs = 0;
      const modes: (boolean | undefined)[] = [];
      for (let i = 0; i < 40; i++) modes.push(await step());
      // Pool writes while the average decays (1/8 per write), then inline for good.
      const firstInline = modes.indexOf(true);
      expect(firstInline).toBeGreaterThan(0);
      expect(modes.slice(0, firstInline).every((x) => x === false)).toBe(true);
      expect(modes.slice(firstInline).every((x) => x === true)).toBe(true);
    } finally {
      await m.close();
    }
  });

  it('a leader writes a Ready of a few entries inline after sending and flushing its appends; a bigger batch through the pool', async () => {
    const m = await openThreeMemberHost({
      dir: path.join(root, 'leader'),
      // Time stands still: every write is fast on this clock, however loaded the machine.
      clock: () => 0,
      onSend: (host, to, messages) => {
        const answers: Message[] = [];
        for (const msg of messages) {
          const env = { from: msg.to, to: msg.from, term: msg.term };
          if (msg.type === 'requestVote') answers.push({ ...env, type: 'requestVoteResponse', preVote: msg.preVote, reject: false });
          if (msg.type === 'appendEntries' && msg.noAck !== true) {
            answers.push({ ...env, type: 'appendEntriesResponse', index: msg.entries[msg.entries.length - 1]?.index ?? msg.index, reject: false, rejectHint: 0, logTerm: 0 });
          }
        }
        if (answers.length > 0) setImmediate(() => host.stepMessages(to, answers));
      },
    });
    try {
      m.host.node.campaign();
      expect(await eventually(() => m.host.isLeader)).toBe(true);
      const enc = new TextEncoder();
      const put = (key: string): Promise<KvApplyOutcome> => m.host.proposeKv(m.kv.encodeCommand('put', { key: enc.encode(key), value: enc.encode('v') }), WAIT_MS);
      const lone = m.persists.length;
      expect((await put('lone')).ok).toBe(true);
      const loneWrite = m.persists[lone];
      expect({ entries: loneWrite?.entries.length, inline: loneWrite?.inline }).toEqual({ entries: 1, inline: true });
      // Its appends (one hand-over per follower) were flushed before the write blocked the loop.
      const writeAt = m.events.reduce<number[]>((at, e, i) => (e === 'write' ? [...at, i] : at), [])[lone] as number;
      expect(m.events.slice(writeAt - 3, writeAt + 1)).toEqual(['send', 'send', 'flush', 'write']);
      // Sends are flushed early only for a write: a Ready that only commits (or beats) leaves
      // its messages at the end of the turn, after its apply started.
      expect(m.events.flatMap((e, i) => (e === 'flush' && m.events[i + 1] !== 'write' ? [i] : []))).toEqual([]);
      const batch = m.persists.length;
      const outs = await Promise.all(Array.from({ length: LEADER_INLINE_ENTRIES_MAX + 6 }, (_, i) => put(`b${i}`)));
      expect(outs.every((o) => o.ok)).toBe(true);
      const batchWrite = m.persists[batch];
      expect({ entries: batchWrite?.entries.length, inline: batchWrite?.inline }).toEqual({ entries: LEADER_INLINE_ENTRIES_MAX + 6, inline: false });
    } finally {
      await m.close();
    }
  });
});
