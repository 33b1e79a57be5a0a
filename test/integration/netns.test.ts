// Members on separate hosts, addressed by DNS names: three network namespaces with their own
// addresses (10.203.0.11-13) and hosts files naming them kite-1..3, and a client namespace
// (10.203.0.10) on the same private bridge. Each member is started the way the documented
// deployment starts it: deploy/systemd/kite@.service for instance kite-N (its ExecStart,
// its Environment= lines) with deploy/systemd/kite.env.example as /etc/kite/kite.env, as
// is. Clients run the `kite` CLI inside the client namespace against ws://kite-N:2379.
// Checks: one leader elected, a write through one member read through another, the member
// list showing the DNS URLs, kill -9 of the leader (a new leader, reads and writes go on)
// and its restart (it catches up). Needs root (network namespaces); it fails, never skips,
// without them. afterAll stops every member by pid and removes the lab.

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './harness/cluster.js';
import { NetnsLab } from './harness/netns.js';
import { readEnvFile, readUnitService } from './harness/systemd-unit.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const UNIT_FILE = repo('deploy/systemd/kite@.service');
const ENV_FILE = repo('deploy/systemd/kite.env.example');
/** Where the unit expects the env file on a host; the test supplies the example in its place. */
const UNIT_ENV_PATH = '/etc/kite/kite.env';
const KITE_BIN = repo('packages/cli/bin/kite.js');
/** Bound on one CLI call made inside the client namespace. */
const CLI_TIMEOUT_MS = 20_000;
/** Bound on an election, or a member starting up, on a loaded machine. */
const SETTLE_MS = 60_000;

const HOSTS = [
  { name: 'kite-1', address: '10.203.0.11' },
  { name: 'kite-2', address: '10.203.0.12' },
  { name: 'kite-3', address: '10.203.0.13' },
] as const;
const endpoint = (name: string): string => `ws://${name}:2379`;

interface StatusRow {
  readonly endpoint: string;
  readonly id?: string;
  readonly leader?: string | null;
  readonly isLeader?: boolean;
  readonly raftIndex?: number;
  readonly raftAppliedIndex?: number;
  readonly error?: string;
}

describe('a 3-member cluster on three hosts (network namespaces) addressed by DNS names', () => {
  let lab: NetnsLab | undefined;
  let root: string;
  const procs = new Map<string, ChildProcess>();

  const logFile = (name: string): string => path.join(root, `${name}.log`);
  const log = (name: string): string => {
    try {
      return readFileSync(logFile(name), 'utf8');
    } catch {
      return '';
    }
  };

  /** Starts member `name` as kite@<name>.service would, inside its host's namespace. */
  function startMember(name: string): void {
    const i = HOSTS.findIndex((h) => h.name === name);
    const unit = readUnitService(UNIT_FILE, name);
    expect(unit.environmentFiles).toEqual([UNIT_ENV_PATH]);
    const [bin, ...args] = unit.execStart;
    // The unit runs the installed `kite`; here it is the repository's built one.
    expect(path.basename(bin ?? '')).toBe('kite');
    // Each host has its own /var/lib/kite; systemd's environment is the unit's, not ours.
    const workDir = path.join(root, `host-${name}`);
    mkdirSync(workDir, { recursive: true });
    const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...unit.environment, ...readEnvFile(ENV_FILE) };
    const out = openSync(logFile(name), 'a');
    const [cmd, ...argv] = lab!.exec(lab!.hostNs(i), [process.execPath, KITE_BIN, ...args]);
    const proc = spawn(cmd!, argv, { cwd: workDir, env, stdio: ['ignore', out, out] });
    closeSync(out);
    procs.set(name, proc);
    proc.once('exit', () => {
      if (procs.get(name) === proc) procs.delete(name);
    });
  }

  async function killMember(name: string): Promise<void> {
    const proc = procs.get(name);
    if (proc === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await waitFor(`${name} to exit`, 10_000, async () => {
      await Promise.race([exited, new Promise((r) => setTimeout(r, 100))]);
      return proc.exitCode !== null || proc.signalCode !== null ? true : undefined;
    });
  }

  /** Runs `kite ARGS` inside the client namespace; resolves with stdout, rejects on failure. */
  function kite(args: readonly string[]): Promise<string> {
    const [cmd, ...argv] = lab!.exec(lab!.clientNs, [process.execPath, KITE_BIN, ...args]);
    return new Promise((resolve, reject) => {
      execFile(cmd!, argv, { timeout: CLI_TIMEOUT_MS, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } }, (err, stdout, stderr) => {
        if (err) reject(new Error(`kite ${args.join(' ')}: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
  }

  const status = async (endpoints: string): Promise<StatusRow[]> =>
    JSON.parse(await kite(['endpoint', 'status', '-w', 'json', '--endpoints', endpoints])) as StatusRow[];

  /** The name of the member that every named member agrees leads. */
  async function agreedLeader(names: readonly string[]): Promise<string> {
    return waitFor(`a leader agreed by ${names.join(', ')}`, SETTLE_MS, async () => {
      const rows = await status(names.map(endpoint).join(','));
      const lead = rows[0]?.leader;
      if (rows.some((r) => r.error !== undefined || r.leader == null || r.leader !== lead)) return undefined;
      const i = rows.findIndex((r) => r.id === lead);
      return i < 0 ? undefined : names[i];
    });
  }

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'kite-netns-'));
    lab = NetnsLab.create({ prefix: 'kitens', hosts: HOSTS, clientAddress: '10.203.0.10' });
    for (const h of HOSTS) startMember(h.name);
  });

  afterAll(async () => {
    for (const name of [...procs.keys()]) await killMember(name).catch(() => undefined);
    const problems = lab?.destroy() ?? [];
    if (process.env['KITE_IT_KEEP'] === '1') process.stderr.write(`kept ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`lab cleanup: ${problems.join('; ')}`);
  });

  it('elects one leader that the three members agree on', async () => {
    const leader = await agreedLeader(HOSTS.map((h) => h.name)).catch((err: Error) => {
      throw new Error(`${err.message}\n${HOSTS.map((h) => `--- ${h.name}\n${log(h.name).slice(-1500)}`).join('\n')}`);
    });
    expect(HOSTS.map((h) => h.name)).toContain(leader);
  });

  it('warns at start that the peer port listens on a non-loopback address without TLS', () => {
    for (const h of HOSTS) expect(log(h.name)).toContain('peer port listens on a non-loopback address without TLS');
  });

  it('serves a write through one member by DNS name and reads it through another', async () => {
    await kite(['put', '--endpoints', endpoint('kite-2'), '/netns/a', 'one']);
    expect(await kite(['get', '--print-value-only', '--endpoints', endpoint('kite-3'), '/netns/a'])).toBe('one\n');
  });

  it('lists the members with their DNS URLs', async () => {
    const list = await waitFor('every member to publish its client URL', SETTLE_MS, async () => {
      const { members } = JSON.parse(await kite(['member', 'list', '-w', 'json', '--endpoints', endpoint('kite-1')])) as {
        members: { name: string; peerUrls: string[]; clientUrls: string[] }[];
      };
      return members.every((m) => m.clientUrls.length > 0) ? members : undefined;
    });
    const seen = list.map((m) => ({ name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls })).sort((a, b) => a.name.localeCompare(b.name));
    expect(seen).toEqual(HOSTS.map((h) => ({ name: h.name, peerUrls: [`http://${h.name}:2380`], clientUrls: [`ws://${h.name}:2379`] })));
  });

  it('elects a new leader after kill -9 of the leader, keeps serving, and the old leader catches up on restart', async () => {
    const names = HOSTS.map((h) => h.name);
    const old = await agreedLeader(names);
    await killMember(old);
    const survivors = names.filter((n) => n !== old);
    const fresh = await agreedLeader(survivors);
    expect(fresh).not.toBe(old);
    const others = survivors.map(endpoint).join(',');
    expect(await kite(['get', '--print-value-only', '--endpoints', others, '/netns/a'])).toBe('one\n');
    await kite(['put', '--endpoints', others, '/netns/b', 'written while down']);

    startMember(old);
    const [leaderRow] = await status(endpoint(fresh));
    const target = leaderRow?.raftIndex ?? Number.NaN;
    expect(Number.isSafeInteger(target)).toBe(true);
    await waitFor(`${old} to apply up to index ${target}`, SETTLE_MS, async () => {
      if (!procs.has(old)) throw new Error(`${old} exited; log:\n${log(old).slice(-2000)}`);
      const [row] = await status(endpoint(old));
      return row?.raftAppliedIndex !== undefined && row.raftAppliedIndex >= target ? true : undefined;
    });
    // A serializable read answers from the restarted member's own store.
    expect(await kite(['get', '--print-value-only', '--consistency', 's', '--endpoints', endpoint(old), '/netns/b'])).toBe('written while down\n');
    expect(names).toContain(await agreedLeader(names));
  });
});
