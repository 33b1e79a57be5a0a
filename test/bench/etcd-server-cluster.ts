// A real 3-member etcd (Debian's etcd-server, 3.4) on 127.0.0.1 for the comparison benchmark:
// free ports, a temp dir per run, default timing (100 ms heartbeat, 1 s election), each
// member's output in <dir>/<name>.log. Every process is stopped by its pid and the temp dir
// removed. The package is installed on first use when missing (as root on Debian).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../../jepsen-lite/src/cluster/ports.js';
import { waitFor } from '../integration/harness/cluster.js';
import { installDebianPackage } from '../../jepsen-lite/src/cluster/debian-package.js';

const ETCD = '/usr/bin/etcd';
const HEALTHY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

function ensureEtcd(): string {
  if (existsSync(ETCD)) return ETCD;
  installDebianPackage('etcd-server');
  if (!existsSync(ETCD)) throw new Error('the etcd-server package is installed but /usr/bin/etcd was not found');
  return ETCD;
}

export class EtcdServerCluster {
  private readonly procs = new Map<string, ChildProcess>();

  private constructor(
    readonly root: string,
    private readonly members: readonly { name: string; clientPort: number; peerPort: number }[],
  ) {}

  static async start(size = 3): Promise<EtcdServerCluster> {
    const bin = ensureEtcd();
    const ports = await freePorts(size * 2);
    const members = Array.from({ length: size }, (_, i) => ({ name: `e${i + 1}`, clientPort: ports[2 * i] as number, peerPort: ports[2 * i + 1] as number }));
    const c = new EtcdServerCluster(mkdtempSync(path.join(tmpdir(), 'etcd-bench-')), members);
    const initial = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
    for (const m of members) {
      const client = `http://127.0.0.1:${m.clientPort}`;
      const peer = `http://127.0.0.1:${m.peerPort}`;
      const log = openSync(path.join(c.root, `${m.name}.log`), 'a');
      const proc = spawn(bin, [
        '--name', m.name, '--data-dir', path.join(c.root, m.name),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
        '--initial-cluster', initial, '--initial-cluster-token', path.basename(c.root), '--initial-cluster-state', 'new',
      ], { stdio: ['ignore', log, log] });
      closeSync(log);
      c.procs.set(m.name, proc);
    }
    try {
      for (const m of members) {
        await waitFor(`etcd ${m.name} healthy`, HEALTHY_TIMEOUT_MS, async () => {
          const r = await fetch(`http://127.0.0.1:${m.clientPort}/health`, { signal: AbortSignal.timeout(2000) });
          const body = (await r.json()) as { health?: string };
          return body.health === 'true' ? true : undefined;
        });
      }
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  get endpoints(): string[] {
    return this.members.map((m) => `http://127.0.0.1:${m.clientPort}`);
  }

  get names(): string[] {
    return this.members.map((m) => m.name);
  }

  /** The member's process id while it runs (for /proc figures: RSS, CPU). */
  pid(name: string): number | undefined {
    const p = this.procs.get(name);
    return p === undefined || p.exitCode !== null ? undefined : p.pid;
  }

  /** Stops every member by pid (TERM, then KILL after a bound) and removes the temp dir. */
  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => stopProcess(p)));
    this.procs.clear();
    rmSync(this.root, { recursive: true, force: true });
  }
}

async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  process.kill(p.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (p.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
  }, STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
