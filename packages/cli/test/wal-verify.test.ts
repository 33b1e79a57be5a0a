// `kite wal verify`: lists a member's WAL records with every CRC checked, as text or JSON;
// exit 1 with the damaged segment and offset when a record in the middle is damaged.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// Test-only: the CLI reaches the WAL through @kite/server's verifyWal; the test writes one directly.
import { RaftLogStore } from '../../server/src/raft-log-store.js';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const kite = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, input: '' });
const root = mkdtempSync(path.join(tmpdir(), 'kite-walverify-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function writeWal(dataDir: string): Promise<void> {
  const s = await RaftLogStore.open(dataDir);
  await s.load();
  await s.initialize({ clusterId: 'c1', memberId: 'm1', name: 'n1' }, { metadata: { index: 1, term: 1, confState: { voters: ['m1'], learners: [] } }, data: new Uint8Array(0) }, { term: 1, vote: null, commit: 1 });
  for (let i = 2; i <= 6; i++) await s.persist({ entries: [{ index: i, term: 2, type: 'normal', data: new Uint8Array(10).fill(i) }], hardState: { term: 2, vote: 'm1', commit: i - 1 } });
  await s.close();
}

describe('kite wal verify', () => {
  it('prints every record and exits 0 on a healthy WAL; -w json too', async () => {
    const dataDir = path.join(root, 'ok');
    await writeWal(dataDir);
    const text = kite('wal', 'verify', '--data-dir', dataDir);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain('0000000000000001.wal@');
    expect(text.stdout).toContain('identity cluster=c1 member=m1 name=n1');
    expect(text.stdout).toMatch(/entry index=6 term=2 type=normal bytes=10/);
    expect(text.stdout).toMatch(/1 segment\(s\), \d+ records \(5 entries\), every CRC checked/);
    const js = kite('wal', 'verify', '--data-dir', dataDir, '-w', 'json');
    expect(js.status).toBe(0);
    const report = JSON.parse(js.stdout) as { ok: boolean; records: { type: string; index?: number }[] };
    expect(report.ok).toBe(true);
    expect(report.records.filter((r) => r.type === 'entry').map((r) => r.index)).toEqual([2, 3, 4, 5, 6]);
  });

  it('exits 1 naming the segment and offset of a damaged record', async () => {
    const dataDir = path.join(root, 'bad');
    await writeWal(dataDir);
    const report = JSON.parse(kite('wal', 'verify', '--data-dir', dataDir, '-w', 'json').stdout) as { records: { type: string; index?: number; offset: number; file: string }[] };
    const victim = report.records.find((r) => r.type === 'entry' && r.index === 3);
    if (victim === undefined) throw new Error('no entry 3');
    const buf = readFileSync(victim.file);
    buf[victim.offset + 30] = (buf[victim.offset + 30] as number) ^ 1;
    writeFileSync(victim.file, buf);
    const r = kite('wal', 'verify', '--data-dir', dataDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`damaged: ${victim.file} at offset ${victim.offset}: record checksum mismatch, yet a valid record follows`);
    expect(r.stderr).toContain('kite member remove');
  });
});
