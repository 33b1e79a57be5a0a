// A leader's commit notices do not wait for its own apply: a real Host leading two scripted
// followers (they grant votes and acknowledge every append at once, as healthy members do)
// sends the append that tells the followers an entry is committed while its own store batch
// for that entry is still being written. Followers then apply in parallel with the leader,
// and a write a follower forwarded here is answered by that follower sooner (it replies once
// its own apply reaches the entry). Before, the notice left only after the apply and a further
// event-loop turn.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '@kite/raft';
import type { KvApplyItem, KvApplyOutcome } from '../src/kv-port.js';
import { eventually, openThreeMemberHost, WAIT_MS } from './three-member-host.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-commit-notice-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The scripted follower's answer to a message from the leader (null: none). */
function answer(m: Message): Message | null {
  const env = { from: m.to, to: m.from, term: m.term };
  switch (m.type) {
    case 'requestVote':
      return { ...env, type: 'requestVoteResponse', preVote: m.preVote, reject: false };
    case 'appendEntries': {
      if (m.noAck === true) return null;
      const last = m.entries[m.entries.length - 1];
      return { ...env, type: 'appendEntriesResponse', index: last?.index ?? m.index, reject: false, rejectHint: 0, logTerm: 0 };
    }
    case 'heartbeat':
      return { ...env, type: 'heartbeatResponse', context: m.context, leaseTick: m.leaseTick };
    default:
      return null;
  }
}

describe('Host commit notices', () => {
  it("leave before the leader's own apply of the committed entry finishes", async () => {
    const m = await openThreeMemberHost({
      dir: path.join(root, 'a'),
      // The scripted followers' answers arrive on a later turn, as a socket's would.
      onSend: (host, to, messages) => {
        const answers = messages.map(answer).filter((a): a is Message => a !== null);
        if (answers.length > 0) setImmediate(() => host.stepMessages(to, answers));
      },
    });
    const { host, kv, sent } = m;
    // The leader's store batches can be held: the test holds the one for the watched entry.
    let hold: Promise<void> | null = null;
    let release: () => void = () => undefined;
    const applyNow = kv.apply.bind(kv);
    kv.apply = async (items: readonly KvApplyItem[]): Promise<readonly KvApplyOutcome[]> => {
      if (hold !== null) await hold;
      return applyNow(items);
    };
    try {
      host.node.campaign();
      expect(await eventually(() => host.isLeader)).toBe(true);
      const enc = new TextEncoder();
      const first = await host.proposeKv(kv.encodeCommand('put', { key: enc.encode('a'), value: enc.encode('1') }), WAIT_MS);
      expect(first.ok).toBe(true);

      hold = new Promise<void>((r) => (release = r));
      let answered = false;
      const put = host.proposeKv(kv.encodeCommand('put', { key: enc.encode('b'), value: enc.encode('2') }), WAIT_MS).then((out) => {
        answered = true;
        return out;
      });
      const index = host.status().lastIndex;
      const noticeTo = (peer: string): boolean => sent.some((msg) => msg.type === 'appendEntries' && msg.to === peer && msg.commit >= index);
      // Both followers learn that the entry is committed while the leader's apply is held.
      const noticed = await eventually(() => noticeTo('m2') && noticeTo('m3'));
      expect({ noticed, answered, leaderApplied: host.applied >= index }).toEqual({ noticed: true, answered: false, leaderApplied: false });
      hold = null;
      release();
      const out = await put;
      expect(out.ok).toBe(true);
      expect(host.applied).toBeGreaterThanOrEqual(index);
    } finally {
      hold = null;
      release();
      await m.close();
    }
  });
});
