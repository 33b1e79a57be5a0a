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
import type { HardState, Message, Snapshot } from '@kite/raft';
import { loadConfig } from '../src/config.js';
import { Host } from '../src/host.js';
import { openKvStore } from '../src/kv-adapter.js';
import type { KvApplyItem, KvApplyOutcome } from '../src/kv-port.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';
import { ServerMetrics } from '../src/metrics.js';
import { RaftLogStore } from '../src/raft-log-store.js';
import { SnapshotFiles } from '../src/snapshot-files.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-commit-notice-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WAIT_MS = 10_000;
const POLL_MS = 5;

/** Polls `ok` until true or the deadline passes (then false). */
async function eventually(ok: () => boolean): Promise<boolean> {
  const deadline = performance.now() + WAIT_MS;
  while (!ok()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return true;
}

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
    const dir = path.join(root, 'a');
    const config = loadConfig(['--name', 'n1', '--data-dir', dir, '--tick-ms', '10'], {}, dir);
    const logStore = await RaftLogStore.open(path.join(dir, 'raft'));
    await logStore.load();
    const members = ['m1', 'm2', 'm3'];
    const registry = new MemberRegistry(members.map((id, i) => ({ id, name: `n${i + 1}`, peerUrls: [`http://127.0.0.1:${i + 1}`], clientUrls: [], isLearner: false })));
    const snapshot: Snapshot = { metadata: { index: 1, term: 1, confState: { voters: members, learners: [] } }, data: registry.encode() };
    const hardState: HardState = { term: 1, vote: null, commit: 1 };
    await logStore.initialize({ clusterId: 'c1', memberId: 'm1', name: 'n1' }, snapshot, hardState);
    const kv = await openKvStore(path.join(dir, 'kv'), silentLogger(), config);
    // The leader's store batches can be held: the test holds the one for the watched entry.
    let hold: Promise<void> | null = null;
    let release: () => void = () => undefined;
    const applyNow = kv.apply.bind(kv);
    kv.apply = async (items: readonly KvApplyItem[]): Promise<readonly KvApplyOutcome[]> => {
      if (hold !== null) await hold;
      return applyNow(items);
    };
    const sent: Message[] = [];
    const snapFiles = new SnapshotFiles(path.join(dir, 'snap'));
    await snapFiles.init();
    let host: Host | null = null;
    host = new Host({
      config,
      selfId: 'm1',
      clusterId: 'c1',
      logger: silentLogger(),
      metrics: new ServerMetrics(),
      logStore,
      loaded: { identity: { clusterId: 'c1', memberId: 'm1', name: 'n1' }, hardState, snapshot, entries: [], tail: [] },
      kv,
      registry,
      snapFiles,
      send: (to, messages) => {
        sent.push(...messages);
        const answers = messages.map(answer).filter((a): a is Message => a !== null);
        // Delivered on a later turn, as a socket would.
        if (answers.length > 0) setImmediate(() => host?.stepMessages(to, answers));
        return true;
      },
      sendSnapshot: () => Promise.reject(new Error('no snapshots here')),
      onPeersChanged: () => undefined,
      onRemoved: () => undefined,
      onFatal: (err) => {
        throw err;
      },
    });
    await host.recover();
    host.start();
    try {
      host.node.campaign();
      expect(await eventually(() => host?.isLeader === true)).toBe(true);
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
      const noticeTo = (peer: string): boolean => sent.some((m) => m.type === 'appendEntries' && m.to === peer && m.commit >= index);
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
      await host.stop();
      await kv.close();
      await logStore.close();
    }
  });
});
