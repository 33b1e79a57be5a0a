// The backup file of `kite snapshot save` (backup-file.ts) and what status/restore do with it
// (restore-data-dir.ts), over a real store in a temp dir: a round trip keeps the revision and
// the hash, a flipped byte anywhere or a truncation anywhere is refused with a clear message
// before anything is written, and a restored data dir is a new cluster's member at the
// backup's applied index.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { BACKUP_ALIGN_BYTES, BackupFileError, encodeBackup, verifyBackupFile } from '../src/backup-file.js';
import { deriveClusterId, deriveMemberId, type ServerConfig } from '../src/config.js';
import { openKvStore } from '../src/kv-adapter.js';
import type { KvPort } from '../src/kv-port.js';
import { silentLogger } from '../src/logger.js';
import { MemberRegistry } from '../src/member-registry.js';
import { RaftLogStore } from '../src/raft-log-store.js';
import { backupStatus, restoreDataDir } from '../src/restore-data-dir.js';

const root = mkdtempSync(path.join(tmpdir(), 'kite-backup-'));
const enc = new TextEncoder();
const KEYS = 40;
/** Entries applied: KEYS puts, then deletes of the first 5 keys, then overwrites of the next 5. */
const APPLIED = KEYS + 10;

let source: KvPort;
let good: string;
let goodBytes: Uint8Array;

async function writeBackup(kv: KvPort, file: string): Promise<void> {
  const snap = kv.snapshot();
  const r = await snap.revisions;
  const parts: Uint8Array[] = [];
  const header = { revision: r.currentRevision, compactRevision: r.compactRevision, appliedIndex: snap.appliedIndex, clusterId: 'c-old', memberId: 'm-old', createdAt: 'now' };
  for await (const p of encodeBackup(header, snap.chunks)) parts.push(p);
  writeFileSync(file, Buffer.concat(parts));
}

beforeAll(async () => {
  source = await openKvStore(path.join(root, 'source'), silentLogger(), {} as ServerConfig);
  let index = 0;
  for (let i = 0; i < KEYS; i++) {
    await source.apply([{ index: ++index, command: source.encodeCommand('put', { key: enc.encode(`k${String(i).padStart(3, '0')}`), value: enc.encode('v'.repeat(300)) }) }]);
  }
  for (let i = 0; i < 5; i++) await source.apply([{ index: ++index, command: source.encodeCommand('deleteRange', { key: enc.encode(`k${String(i).padStart(3, '0')}`) }) }]);
  for (let i = 5; i < 10; i++) await source.apply([{ index: ++index, command: source.encodeCommand('put', { key: enc.encode(`k${String(i).padStart(3, '0')}`), value: enc.encode('w') }) }]);
  good = path.join(root, 'good.snap');
  await writeBackup(source, good);
  goodBytes = readFileSync(good);
});

afterAll(async () => {
  await source.close();
  rmSync(root, { recursive: true, force: true });
});

describe('backup file', () => {
  it('status reads back the revision, live keys and the same hash as the source at that revision', async () => {
    const s = await backupStatus(good);
    expect(s.appliedIndex).toBe(APPLIED);
    expect(s.revision).toBe(source.currentRevision);
    expect(s.totalKeys).toBe(KEYS - 5);
    expect(s.hash).toBe((await source.hash(s.revision)).hash);
    expect(s.sizeBytes).toBe(goodBytes.byteLength);
  });

  it("has the shape etcd's clients check on a received snapshot: k*512 bytes, then their SHA-256", () => {
    const body = goodBytes.subarray(0, goodBytes.byteLength - 32);
    expect(body.byteLength % BACKUP_ALIGN_BYTES).toBe(0);
    expect(Buffer.from(goodBytes.subarray(body.byteLength))).toEqual(createHash('sha256').update(body).digest());
  });

  it('refuses anything but zero padding after the end marker, even under a matching SHA-256', async () => {
    const body = Buffer.from(goodBytes.subarray(0, goodBytes.byteLength - 32));
    // The padding is the zero run just before the trailer (the end marker is 0xffffffff).
    expect(body[body.byteLength - 1]).toBe(0);
    body[body.byteLength - 1] = 7;
    const file = path.join(root, 'bad-padding.snap');
    writeFileSync(file, Buffer.concat([body, createHash('sha256').update(body).digest()]));
    await expect(verifyBackupFile(file)).rejects.toThrow(/after the end marker that are not its padding/);
    // An older file without padding (the end marker right before the trailer) is still read.
    const marker = body.lastIndexOf(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    const unpadded = body.subarray(0, marker + 4);
    const old = path.join(root, 'unpadded.snap');
    writeFileSync(old, Buffer.concat([unpadded, createHash('sha256').update(unpadded).digest()]));
    expect((await verifyBackupFile(old)).header.revision).toBe((await verifyBackupFile(good)).header.revision);
  });

  it('refuses a flipped byte anywhere in the file with a clear message', async () => {
    const bad = path.join(root, 'flipped.snap');
    const step = Math.max(1, Math.floor(goodBytes.byteLength / 25));
    for (let at = 0; at < goodBytes.byteLength; at += step) {
      const copy = Uint8Array.from(goodBytes);
      copy[at] = (copy[at] as number) ^ 0x20;
      writeFileSync(bad, copy);
      await expect(verifyBackupFile(bad), `byte ${at}`).rejects.toThrow(BackupFileError);
      await expect(backupStatus(bad)).rejects.toThrow(/damaged|not a Kite snapshot/);
    }
  });

  it('refuses a truncated file, wherever it was cut', async () => {
    const bad = path.join(root, 'cut.snap');
    for (const keep of [0, 10, 16, 40, Math.floor(goodBytes.byteLength / 2), goodBytes.byteLength - 33, goodBytes.byteLength - 1]) {
      writeFileSync(bad, goodBytes.subarray(0, keep));
      await expect(verifyBackupFile(bad), `kept ${keep}`).rejects.toThrow(/truncated|not a Kite snapshot/);
    }
  });

  it('refuses a file that is not a snapshot, and a missing one', async () => {
    const bad = path.join(root, 'text.snap');
    writeFileSync(bad, 'x'.repeat(200));
    await expect(verifyBackupFile(bad)).rejects.toThrow(/not a Kite snapshot file/);
    await expect(verifyBackupFile(path.join(root, 'absent.snap'))).rejects.toThrow(/cannot open snapshot file/);
  });
});

describe('restore', () => {
  const cluster = { clusterToken: 'dr-token', initialCluster: [{ name: 'n1', peerUrl: 'http://127.0.0.1:1' }, { name: 'n2', peerUrl: 'http://127.0.0.1:2' }] };

  it('creates nothing from a damaged file', async () => {
    const bad = path.join(root, 'bad.snap');
    const copy = Uint8Array.from(goodBytes);
    const mid = Math.floor(copy.byteLength / 2);
    copy[mid] = (copy[mid] as number) ^ 1;
    writeFileSync(bad, copy);
    const dataDir = path.join(root, 'never');
    await expect(restoreDataDir(bad, { ...cluster, name: 'n1', dataDir })).rejects.toThrow(/damaged or truncated/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a data dir that is not empty', async () => {
    const dataDir = path.join(root, 'used');
    await restoreDataDir(good, { ...cluster, name: 'n2', dataDir });
    await expect(restoreDataDir(good, { ...cluster, name: 'n2', dataDir })).rejects.toThrow(/not empty/);
  });

  it('builds a new cluster member at the backup index with the same store', async () => {
    const dataDir = path.join(root, 'n1');
    const r = await restoreDataDir(good, { ...cluster, name: 'n1', dataDir });
    const ids = cluster.initialCluster.map((m) => deriveMemberId(cluster.clusterToken, m.name));
    expect(r.clusterId).toBe(deriveClusterId(cluster.clusterToken, ids));
    expect(r.memberId).toBe(ids[0]);
    const log = await RaftLogStore.open(dataDir);
    try {
      const loaded = await log.load();
      expect(loaded.identity).toEqual({ clusterId: r.clusterId, memberId: ids[0], name: 'n1' });
      expect(loaded.snapshot?.metadata.index).toBe(APPLIED);
      expect(loaded.snapshot?.metadata.confState.voters).toEqual(ids);
      expect(MemberRegistry.decode(loaded.snapshot?.data as Uint8Array).list().map((m) => m.name).sort()).toEqual(['n1', 'n2']);
      expect(loaded.hardState?.commit).toBe(APPLIED);
    } finally {
      await log.close();
    }
    const kv = await openKvStore(path.join(dataDir, 'kv'), silentLogger(), {} as ServerConfig);
    try {
      expect(kv.appliedIndex).toBe(APPLIED);
      expect(kv.currentRevision).toBe(source.currentRevision);
      expect((await kv.hash(r.revision)).hash).toBe((await source.hash(r.revision)).hash);
    } finally {
      await kv.close();
    }
  });
});
