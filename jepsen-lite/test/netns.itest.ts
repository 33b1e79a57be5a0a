// jepsen-lite's --net netns mode against real `kite server` processes (needs the built server
// and root: network namespaces, veths, iptables; iproute2 and iptables are installed when
// missing). First the network alone: a one-way block really drops one direction of TCP and a
// heal opens it again. Then a short run (3 members, register workload, the partition nemeses)
// must be valid with the members at their own addresses, and every namespace, veth and the
// bridge it made must be gone afterwards.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NetnsNet, type NetnsLayout } from '../src/cluster/netns-net.js';
import { defaultOptions } from '../src/run/options.js';
import { runTest } from '../src/run/runner.js';
import { monotonicMs, sleep } from '../src/util/time.js';

const PORT = 7001;
const CONNECT_TIMEOUT_MS = 1_500;

/** Whether a TCP connection from `fromNs` to host:port opens and echoes within the bound. */
function reaches(fromNs: string, host: string): boolean {
  const script = `const s=require('net').connect(${PORT},'${host}',()=>s.write('x'));s.on('data',()=>process.exit(0));setTimeout(()=>process.exit(1),${CONNECT_TIMEOUT_MS});s.on('error',()=>process.exit(1));`;
  try {
    execFileSync('ip', ['netns', 'exec', fromNs, process.execPath, '-e', script], { stdio: 'pipe', timeout: CONNECT_TIMEOUT_MS + 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** Every namespace and link of `layout` that still exists. */
function leftovers(layout: NetnsLayout): string[] {
  const namespaces = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '');
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '');
  return [...Object.values(layout.namespaces).filter((n) => namespaces.includes(n)), ...[layout.bridge, ...layout.veths].filter((l) => links.includes(l))];
}

describe('jepsen-lite --net netns', () => {
  let net: NetnsNet | null = null;
  let echo: ChildProcess | null = null;
  afterEach(() => {
    if (echo?.pid !== undefined) process.kill(echo.pid, 'SIGKILL');
    echo = null;
    net?.destroy();
    net = null;
  });

  it('a blocked direction drops TCP one way only, and a heal opens it; destroy removes everything', async () => {
    net = NetnsNet.create('itnet', ['n1', 'n2']);
    const layout = net.layout;
    // An echo server in n1's namespace; n2 and the harness dial it at n1's address.
    echo = spawn('ip', ['netns', 'exec', net.namespace('n1'), process.execPath, '-e', `require('net').createServer((s)=>s.pipe(s)).listen(${PORT},'${net.address('n1')}')`], { stdio: 'ignore' });
    const deadline = monotonicMs() + 10_000;
    while (!reaches(net.namespace('n2'), net.address('n1')) && monotonicMs() < deadline) await sleep(200);
    expect(reaches(net.namespace('n2'), net.address('n1'))).toBe(true);

    net.block([['n2', 'n1']]); // what n2 sends n1 is lost
    expect(execFileSync('ip', ['netns', 'exec', net.namespace('n1'), 'iptables', '-S', 'INPUT'], { encoding: 'utf8' })).toContain(`-A INPUT -s ${net.address('n2')}/32 -j DROP`);
    expect(reaches(net.namespace('n2'), net.address('n1'))).toBe(false);
    net.block([['n1', 'n2']]); // only n1's replies are lost: the handshake cannot complete either
    expect(reaches(net.namespace('n2'), net.address('n1'))).toBe(false);
    net.heal();
    expect(reaches(net.namespace('n2'), net.address('n1'))).toBe(true);

    process.kill(echo.pid as number, 'SIGKILL');
    echo = null;
    expect(net.destroy()).toEqual([]);
    net = null;
    expect(leftovers(layout)).toEqual([]);
  });

  it('a short partition run on 3 members in namespaces is valid and leaves no namespace or link behind', async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'jepsen-lite-netns-itest-'));
    const lines: string[] = [];
    const outcome = await runTest(
      {
        ...defaultOptions(),
        test: 'netns-itest',
        storeDir: store,
        net: 'netns',
        nodes: 3,
        workload: 'register',
        nemeses: ['partition-leader', 'partition-random', 'partition-one-way'],
        faultMs: 12_000,
        calmMs: 1_500,
        recoveryMs: 2_000,
        healMs: 10_000,
        holdMs: [2_000, 3_000],
        quietMs: [800, 1_200],
        rateHz: 40,
        concurrency: 4,
        seed: 20261207,
      },
      { log: (l) => lines.push(l) },
    );
    const context = `${outcome.results.map((r) => `${r.checker}=${String(r.valid)}`).join(' ')}\nrun dir: ${outcome.dir}\n${lines.join('\n')}`;
    expect(outcome.error, context).toBeNull();
    expect(outcome.valid, context).toBe(true);
    const results = JSON.parse(readFileSync(path.join(outcome.dir, 'results.json'), 'utf8')) as { net: string; netns: NetnsLayout; command: string; links: unknown[] };
    expect(results.net).toBe('netns');
    expect(results.command, context).toContain('--net netns');
    expect(results.links, 'no proxy link was used').toEqual([]);
    // Each member listened at its own namespace address, and faults were made: a partition started.
    for (const [name, address] of Object.entries(results.netns.addresses)) {
      expect(readFileSync(path.join(outcome.dir, 'logs', `${name}.log`), 'utf8'), context).toContain(`http://${address}:2380`);
    }
    expect(readFileSync(path.join(outcome.dir, 'history.jsonl'), 'utf8'), context).toContain('start-partition');
    expect(leftovers(results.netns), context).toEqual([]);
    rmSync(store, { recursive: true, force: true });
  });
});
