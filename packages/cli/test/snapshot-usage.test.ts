// `kite snapshot status` and `restore` work on files only: their usage errors (missing etcdutl
// flags, a name not in the cluster, tokens that disagree) exit 2 before touching any file,
// and a file that is not a usable backup exits 1 with a message that says so and creates no
// data dir. Spawns the built binary; no cluster needed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const kite = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000, input: '' });
const root = mkdtempSync(path.join(tmpdir(), 'kite-snapcli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('kite snapshot status / restore', () => {
  const text = path.join(root, 'text.snap');
  writeFileSync(text, 'not a snapshot at all, just some text that is long enough'.repeat(4));
  const dataDir = path.join(root, 'never');
  const cluster = ['--initial-cluster', 'n1=http://127.0.0.1:1', '--initial-cluster-token', 't', '--data-dir', dataDir];

  it('refuses missing or inconsistent restore flags as usage errors', () => {
    const none = kite('snapshot', 'restore', text);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('snapshot restore needs --name, --initial-cluster, --initial-cluster-token, --data-dir');
    const stranger = kite('snapshot', 'restore', text, '--name', 'n9', ...cluster);
    expect([stranger.status, stranger.stderr.split('\n')[0]]).toEqual([2, 'Error: --name n9 is not in --initial-cluster']);
    const tokens = kite('snapshot', 'restore', text, '--name', 'n1', ...cluster, '--cluster-token', 'other');
    expect([tokens.status, tokens.stderr.split('\n')[0]]).toEqual([2, 'Error: --cluster-token and --initial-cluster-token differ']);
    const peer = kite('snapshot', 'restore', text, '--name', 'n1', ...cluster, '--initial-advertise-peer-urls', 'http://127.0.0.1:2');
    expect(peer.status).toBe(2);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a file that is not a backup, or is missing, with exit 1 and no data dir', () => {
    for (const r of [kite('snapshot', 'status', text), kite('snapshot', 'restore', text, '--name', 'n1', ...cluster)]) {
      expect([r.status, r.stderr]).toEqual([1, `Error: ${text} is not a Kite snapshot file (bad magic)\n`]);
    }
    const missing = kite('snapshot', 'status', path.join(root, 'absent.snap'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^Error: cannot open snapshot file .*absent\.snap/);
    expect(existsSync(dataDir)).toBe(false);
  });
});
