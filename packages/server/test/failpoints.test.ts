// Failpoints (failpoints.ts): KITE_FAILPOINTS parsing refuses what it does not know, a point
// fires once at its chosen hit, a disabled point never fires, and every point fires exactly
// where its name says, on a real Host over a real raft log, store and staging directory (the
// trigger is a spy here; test/integration/failpoints.test.ts crashes real members).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Message, Snapshot } from '@kite/raft';
import { loadConfig } from '../src/config.js';
import { armFailpoints, failpoint, FailpointSpecError, FAILPOINT_NAMES, parseFailpoints, type FailpointName } from '../src/failpoints.js';
import { Host } from '../src/host.js';
import { openKvStore } from '../src/kv-adapter.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';
import { ServerMetrics } from '../src/metrics.js';
import { RaftLogStore } from '../src/raft-log-store.js';
import { SnapshotFiles } from '../src/snapshot-files.js';
import { receiveSnapshotChunk } from '../src/snapshot-receive.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-failpoints-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => armFailpoints(undefined));
let dirs = 0;
const newDir = (): string => path.join(root, `d${dirs++}`);
const enc = new TextEncoder();

describe('KITE_FAILPOINTS parsing', () => {
  it('arms nothing when unset or empty', () => {
    expect(parseFailpoints(undefined)).toEqual([]);
    expect(parseFailpoints('  ')).toEqual([]);
  });

  it('reads name=crash and name=crash@N, comma-separated', () => {
    expect(parseFailpoints('after-log-append=crash, snapshot-recorded=crash@3')).toEqual([
      { name: 'after-log-append', action: 'crash', hit: 1 },
      { name: 'snapshot-recorded', action: 'crash', hit: 3 },
    ]);
  });

  it.each([
    ['after-log-apend=crash', /unknown failpoint "after-log-apend".*names: before-log-append/],
    ['after-log-append=panic', /unknown action "panic"/],
    ['after-log-append', /cannot parse "after-log-append"/],
    ['after-log-append=crash@0', /the hit must be 1\.\./],
    ['before-apply=crash,before-apply=crash@2', /before-apply is given twice/],
  ])('refuses %s with a clear message', (raw, message) => {
    expect(() => parseFailpoints(raw)).toThrow(FailpointSpecError);
    expect(() => parseFailpoints(raw)).toThrow(message);
    expect(() => parseFailpoints(raw)).toThrow(/^KITE_FAILPOINTS: /);
  });
});

describe('firing', () => {
  it('fires once, at the chosen hit, and only the armed point', () => {
    const fired: [FailpointName, number][] = [];
    armFailpoints('before-apply=crash@3', (name, hit) => fired.push([name, hit]));
    for (let i = 0; i < 5; i++) {
      failpoint('before-apply');
      failpoint('after-apply');
    }
    expect(fired).toEqual([['before-apply', 3]]);
  });

  it('a disabled point never fires', () => {
    const fired: string[] = [];
    armFailpoints('', (name) => fired.push(name));
    for (const name of FAILPOINT_NAMES) failpoint(name);
    expect(fired).toEqual([]);
  });
});

/** One member over a real data dir with every failpoint armed to a spy that records the state it sees. */
async function openMember(voters: readonly string[], selfId: string) {
  const dir = newDir();
  const config = { ...loadConfig(['--name', selfId, '--data-dir', dir], {}, dir), snapshotEntries: 1_000_000 };
  const logStore = await RaftLogStore.open(path.join(dir, 'raft'));
  await logStore.load();
  const registry = new MemberRegistry(voters.map((id, i) => ({ id, name: id, peerUrls: [`http://127.0.0.1:${i + 1}`], clientUrls: [], isLearner: false })));
  const snapshot: Snapshot = { metadata: { index: 1, term: 1, confState: { voters: [...voters], learners: [] } }, data: registry.encode() };
  await logStore.initialize({ clusterId: 'c1', memberId: selfId, name: selfId }, snapshot, { term: 1, vote: null, commit: 1 });
  const loaded = await logStore.load();
  /** What happened, in order: calls into the WAL, the store and the staging dir, and fired points. */
  const trace: string[] = [];
  const persist = logStore.persist.bind(logStore);
  logStore.persist = async (p) => {
    trace.push(p.snapshot !== undefined ? 'persist-snapshot>' : 'persist>');
    await persist(p);
    trace.push('<persist');
  };
  const kv = await openKvStore(path.join(dir, 'kv'), silentLogger(), config);
  const apply = kv.apply.bind(kv);
  kv.apply = async (items) => {
    trace.push('apply>');
    const out = await apply(items);
    trace.push('<apply');
    return out;
  };
  const snapFiles = new SnapshotFiles(path.join(dir, 'snap'));
  await snapFiles.init();
  let fatal: unknown = null;
  const host = new Host({
    config, selfId, clusterId: 'c1', logger: silentLogger(), metrics: new ServerMetrics(), logStore, loaded, kv,
    registry: MemberRegistry.decode(snapshot.data), snapFiles,
    send: () => true,
    sendSnapshot: () => Promise.reject(new Error('no peers')),
    onPeersChanged: () => undefined,
    onRemoved: () => undefined,
    onFatal: (err) => (fatal = err),
  });
  await host.recover();
  return {
    host, kv, snapFiles, trace,
    fatal: () => fatal,
    close: async () => {
      await host.stop();
      await snapFiles.closeAll();
      await kv.close();
      await logStore.close();
    },
  };
}

/** Polls until `check` holds; fails after `timeoutMs` (a bound, not a timing). */
async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('every failpoint fires where its name says (real Host)', () => {
  it('before/after-log-append wrap the WAL write and fsync; before/after-apply wrap the store batch', async () => {
    const m = await openMember(['m1'], 'm1');
    const fired: Record<string, { at: number; applied: number }> = {};
    armFailpoints('before-log-append=crash@2,after-log-append=crash@2,before-apply=crash,after-apply=crash', (name) => {
      m.trace.push(`fp:${name}`);
      fired[name] = { at: m.trace.length - 1, applied: m.kv.appliedIndex };
    });
    try {
      m.host.start();
      expect(await m.host.waitForLeader(10_000)).toBe('m1');
      const out = await m.host.proposeKv(m.kv.encodeCommand('put', { key: enc.encode('k'), value: enc.encode('v') }), 10_000);
      expect(out.ok).toBe(true);
      await until('all four points', 10_000, () => Object.keys(fired).length === 4);
      const t = m.trace;
      const at = (name: string): number => (fired[name] as { at: number }).at;
      // The point comes right before the write starts, and right after it returned (the
      // loop is serialized: no other write starts in between).
      expect(t[at('before-log-append') + 1]).toMatch(/^persist/);
      expect(t.slice(0, at('after-log-append')).filter((e) => e.startsWith('persist')).length).toBe(2);
      expect(t.slice(0, at('after-log-append')).filter((e) => e === '<persist').length).toBe(2);
      expect(t[at('before-apply') + 1]).toBe('apply>');
      expect(t.slice(at('before-apply'), at('after-apply'))).toContain('<apply');
      expect(fired['after-apply']?.applied).toBeGreaterThan(fired['before-apply']?.applied ?? Infinity);
      expect(m.fatal()).toBeNull();
    } finally {
      await m.close();
    }
  });

  it('snapshot-staged, -recorded, -restored and -pruned fire at each stage of an install', async () => {
    const LEADER = 'n1';
    const SELF = 'n2';
    const m = await openMember([LEADER, SELF], SELF);
    const leaderKv = await openKvStore(newDir(), silentLogger(), loadConfig(['--name', LEADER], {}, root));
    const INDEX = 10;
    const file = m.snapFiles.pathFor(INDEX);
    const seen: Record<string, { fileExists: boolean; applied: number; snapshotIndex: number; recorded: boolean }> = {};
    armFailpoints('snapshot-staged=crash,snapshot-recorded=crash,snapshot-restored=crash,snapshot-pruned=crash', (name) => {
      seen[name] = {
        fileExists: existsSync(file),
        applied: m.kv.appliedIndex,
        snapshotIndex: m.host.status().snapshotIndex,
        recorded: m.trace.includes('persist-snapshot>') && m.trace.lastIndexOf('<persist') > m.trace.indexOf('persist-snapshot>'),
      };
    });
    try {
      await leaderKv.apply([{ index: INDEX, command: leaderKv.encodeCommand('put', { key: enc.encode('k'), value: enc.encode('v') }) }]);
      const confState = { voters: [LEADER, SELF], learners: [] };
      const registry = new MemberRegistry([LEADER, SELF].map((id, i) => ({ id, name: id, peerUrls: [`http://127.0.0.1:${i + 1}`], clientUrls: [], isLearner: false })));
      const message: Message = { type: 'installSnapshot', from: LEADER, to: SELF, term: 2, snapshot: { metadata: { index: INDEX, term: 2, confState }, data: registry.encode() } };
      const receiver = {
        files: m.snapFiles,
        selfId: SELF,
        staged: (from: string, md: unknown, f: string) => m.host.snapshotStaged(from, md, f),
        diskFull: (err: unknown) => {
          throw err;
        },
      };
      let seq = 0;
      for await (const data of leaderKv.snapshot().chunks) {
        await receiveSnapshotChunk(receiver, LEADER, { type: 'snapshotChunk', snapshotId: 's10', seq, data, last: false, ...(seq === 0 ? { metadata: message } : {}) });
        seq++;
      }
      expect(seen['snapshot-staged']).toBeUndefined();
      await receiveSnapshotChunk(receiver, LEADER, { type: 'snapshotChunk', snapshotId: 's10', seq, data: new Uint8Array(0), last: true });
      await until('the install to finish', 10_000, () => m.host.status().snapshotIndex === INDEX || m.fatal() !== null);
      expect(m.fatal()).toBeNull();
      // Staged: the file is durable, Raft has not seen the snapshot.
      expect(seen['snapshot-staged']).toEqual({ fileExists: true, applied: 0, snapshotIndex: 1, recorded: false });
      // Recorded: the WAL holds it, the store is not restored yet.
      expect(seen['snapshot-recorded']).toEqual({ fileExists: true, applied: 0, snapshotIndex: 1, recorded: true });
      // Restored: the store is at the snapshot, its file still there.
      expect(seen['snapshot-restored']).toEqual({ fileExists: true, applied: INDEX, snapshotIndex: 1, recorded: true });
      // Pruned: the file is gone.
      expect(seen['snapshot-pruned']).toEqual({ fileExists: false, applied: INDEX, snapshotIndex: 1, recorded: true });
    } finally {
      await m.close();
      await leaderKv.close();
    }
  });
});
