// The real `kite` binary against a real 3-member cluster started with `kite cluster up
// --detach` (stopped in afterAll by `kite cluster down` plus a pid-kill fallback).
// Tests run in order; the last one kills the leader.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@kite/client';
import { mirror } from '../../client/src/recipes/index.js';
import { BIN, collect, killPid, runKite, startCluster, type KiteResult, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
});

afterAll(async () => {
  await cluster?.stop();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await cluster.kite(args, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`kite ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

async function revisionNow(): Promise<number> {
  const out = await ok(['get', '/', '--prefix', '--count-only', '-w', 'json']);
  return (JSON.parse(out) as { header: { revision: number } }).header.revision;
}

describe('kite CLI against a real cluster', () => {
  it('put then get --prefix returns the keys in order, in every output format', async () => {
    expect(await ok(['put', '/cfg/b', '2'])).toBe('OK\n');
    expect(await ok(['put', '/cfg/a', '1'])).toBe('OK\n');
    await ok(['put', '/other', 'x']);
    expect(await ok(['get', '--prefix', '/cfg/'])).toBe('/cfg/a\n1\n/cfg/b\n2\n');
    const j = JSON.parse(await ok(['get', '--prefix', '/cfg/', '-w', 'json'])) as { count: number; kvs: { key: string; value: string }[] };
    expect([j.count, j.kvs.map((k) => `${k.key}=${k.value}`)]).toEqual([2, ['/cfg/a=1', '/cfg/b=2']]);
    expect(await ok(['get', '--prefix', '/cfg/', '--keys-only'])).toBe('/cfg/a\n/cfg/b\n');
    expect(await ok(['del', '--prefix', '/cfg/'])).toBe('2\n');
  });

  it('watch --prefix sees later puts and deletes, and Ctrl-C ends it cleanly', async () => {
    const from = (await revisionNow()) + 1;
    const w = cluster.spawnKite(['watch', '--prefix', '/w/', '--rev', String(from)]);
    const out = collect(w);
    await ok(['put', '/w/a', '1']);
    await ok(['put', '/w/b', '2']);
    await ok(['put', '/not-watched', '3']);
    await ok(['del', '/w/a']);
    expect(await out.until(/DELETE\n\/w\/a\n/)).toBe('PUT\n/w/a\n1\nPUT\n/w/b\n2\nDELETE\n/w/a\n');
    const exited = new Promise<number | null>((r) => w.on('exit', (code) => r(code)));
    w.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('txn from stdin uses etcdctl syntax', async () => {
    await ok(['put', '/t/k', 'v1']);
    const txt = 'val("/t/k") = "v1"\n\nput /t/k "v2"\nget /t/k\n\nput /t/k "lost"\n';
    expect(await ok(['txn'], txt)).toBe('SUCCESS\n\nOK\n\n/t/k\nv2\n');
    expect(await ok(['txn'], txt)).toBe('FAILURE\n\nOK\n');
    expect(await ok(['get', '/t/k', '--print-value-only'])).toBe('lost\n');
  });

  it('history shows every revision with diffs; rollback restores guarded by modRevision', async () => {
    const r1 = JSON.parse(await ok(['put', '/h/k', 'one', '-w', 'json'])) as { header: { revision: number } };
    await ok(['put', '/h/k', 'two']);
    await ok(['del', '/h/k']);
    await ok(['put', '/h/k', 'three']);
    const h = await ok(['history', '/h/k']);
    expect(h.split('\n').filter((l) => l.startsWith('revision') || /^ {2}[-+]/.test(l)).map((l) => l.replace(/^revision \d+/, 'revision N'))).toEqual([
      // Who made each revision, from the audit trail (no login here: the address).
      'revision N  PUT (created)  version 1  by 127.0.0.1', '  + one',
      'revision N  PUT  version 2  by 127.0.0.1', '  - one', '  + two',
      'revision N  DELETE  by 127.0.0.1',
      'revision N  PUT (created)  version 1  by 127.0.0.1', '  + three',
    ]);
    const stale = await cluster.kite(['rollback', '/h/k', '--to', String(r1.header.revision), '--expect-mod-rev', String(r1.header.revision), '--yes']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/\/h\/k changed since you looked: its modRevision is now \d+, not \d+\. Nothing was written/);
    expect(await ok(['rollback', '/h/k', '--to', String(r1.header.revision), '--yes'])).toMatch(/^\/h\/k restored to its value at revision \d+/);
    expect(await ok(['get', '/h/k', '--print-value-only'])).toBe('one\n');
  });

  it('rollback to a revision where the key did not exist refuses unless --allow-delete, and asks before writing', async () => {
    const before = await revisionNow();
    await ok(['put', '/rb/k', 'one']);
    await ok(['put', '/rb/k', 'two']);
    const refused = await cluster.kite(['rollback', '/rb/k', '--to', String(before), '--yes']);
    expect([refused.code, refused.stderr]).toEqual([1, `Error: /rb/k did not exist at revision ${before}, so restoring that state means deleting it. Nothing was written; pass --allow-delete to delete /rb/k.\n`]);
    // No terminal and no --yes: nobody can confirm, so nothing is written (and nothing hangs).
    const unconfirmed = await cluster.kite(['rollback', '/rb/k', '--to', String(before), '--allow-delete']);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('stdin is not a terminal; pass --yes');
    expect(unconfirmed.stderr).toContain('DELETE /rb/k');
    expect(await ok(['get', '/rb/k', '--print-value-only'])).toBe('two\n');
    expect(await ok(['rollback', '/rb/k', '--to', String(before), '--allow-delete', '--yes'])).toMatch(/^\/rb\/k did not exist at revision \d+; deleted it/);
    expect(await ok(['get', '/rb/k', '--count-only'])).toBe('0\n');
  });

  it('rollback on a terminal shows the change and writes only after yes', async () => {
    const r1 = JSON.parse(await ok(['put', '/rb/t', 'one', '-w', 'json'])) as { header: { revision: number } };
    await ok(['put', '/rb/t', 'two']);
    // `script` gives the command a real pseudo-terminal; its answer comes from our stdin.
    const onTerminal = (answer: string): Promise<KiteResult> => new Promise((resolve) => {
      const cmd = [process.execPath, BIN, 'rollback', '/rb/t', '--to', String(r1.header.revision)].join(' ');
      const child = execFile('script', ['-qec', cmd, '/dev/null'], { env: { ...process.env, KITE_ENDPOINTS: cluster.endpoints.join(',') }, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code ?? 1), stdout, stderr });
      });
      child.stdin?.end(`${answer}\n`);
    });
    const no = await onTerminal('n');
    expect(no.code).toBe(1);
    expect(no.stdout).toContain('  - two\r\n  + one');
    expect(no.stdout).toContain('Not confirmed; nothing was written.');
    expect(await ok(['get', '/rb/t', '--print-value-only'])).toBe('two\n');
    const yes = await onTerminal('y');
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/\/rb\/t restored to its value at revision \d+/);
    expect(await ok(['get', '/rb/t', '--print-value-only'])).toBe('one\n');
  });

  it('history right after a compaction never fails on the watch it replays from', async () => {
    await ok(['put', '/hc/k', 'a']);
    await ok(['put', '/hc/k', 'b']);
    await ok(['compact', String(await revisionNow())]);
    // Before the fix, about one run in three failed with "no watch 1 on this link".
    for (let i = 0; i < 8; i++) {
      const r = await cluster.kite(['history', '/hc/k']);
      expect([r.code, r.stderr]).toEqual([0, '']);
    }
  });

  it('--hex addresses keys that are not UTF-8; text output keeps them distinct and escapes control characters', async () => {
    expect(await ok(['put', '--hex', '2f782fff', '6869'])).toBe('OK\n'); // "/x/" + 0xff
    expect(await ok(['put', '--hex', '2f782ffe', '1b5b326a'])).toBe('OK\n'); // "/x/" + 0xfe, value ESC[2j
    expect(await ok(['put', '/x/nl\nkey', 'v'])).toBe('OK\n');
    expect(await ok(['get', '--prefix', '/x/'])).toBe('/x/nl\\nkey\nv\n/x/\\xfe\n\\x1b[2j\n/x/\\xff\nhi\n');
    expect(await ok(['get', '--hex', '2f782fff'])).toBe('2f782fff\n6869\n');
    expect(await ok(['get', '--hex', '--prefix', '2f782f', '--keys-only'])).toBe('2f782f6e6c0a6b6579\n2f782ffe\n2f782fff\n');
    const j = JSON.parse(await ok(['get', '--prefix', '/x/', '-w', 'json'])) as { kvs: Record<string, string>[] };
    expect(j.kvs.map((k) => k['key'] ?? `base64:${k['key_base64']}`)).toEqual(['/x/nl\nkey', 'base64:L3gv/g==', 'base64:L3gv/w==']);
    expect(await ok(['del', '--hex', '2f782ffe'])).toBe('1\n');
    const fields = await ok(['get', '/x/nl\nkey', '-w', 'fields']);
    expect(fields).toMatch(/^"ClusterID" : \w+\n"MemberID" : \w+\n"Revision" : \d+\n"RaftTerm" : \d+\n"Key" : "\/x\/nl\\nkey"\n/);
    expect(fields).toMatch(/"Value" : "v"\n"Lease" : 0\n"More" : false\n"Count" : 1\n$/);
  });

  it('put --lease takes the hex id that lease grant prints', async () => {
    const id = /^lease ([0-9a-f]+) granted/.exec(await ok(['lease', 'grant', '60']))?.[1];
    expect(id).toBeDefined();
    await ok(['put', '/leased', 'v', '--lease', id!]);
    expect(JSON.parse(await ok(['get', '/leased', '-w', 'json'])).kvs[0].lease).toBe(id);
    expect(await ok(['lease', 'revoke', id!])).toMatch(/revoked/);
    expect(await ok(['get', '/leased', '--count-only'])).toBe('0\n');
  });

  it("the README's kite (node_modules/.bin, or pnpm exec) runs the built CLI and prints only its own output", async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const env = { ...process.env, KITE_ENDPOINTS: cluster.endpoints.join(','), NO_COLOR: '1' };
    const run = (cmd: string, args: string[]): Promise<KiteResult> => new Promise((resolve) => {
      execFile(cmd, args, { cwd: root, env, timeout: 120_000 }, (err, stdout, stderr) => {
        resolve({ code: err === null ? 0 : Number((err as { code?: unknown }).code ?? 1), stdout, stderr });
      });
    });
    await ok(['put', '/readme/k', 'v']);
    const direct = await run(join(root, 'node_modules', '.bin', 'kite'), ['get', '/readme/k', '-w', 'json']);
    expect(direct.code).toBe(0);
    expect((JSON.parse(direct.stdout) as { kvs: { value: string }[] }).kvs[0]?.value).toBe('v');
    const viaPnpm = await run('npx', ['-y', 'pnpm@9.15.9', 'exec', 'kite', 'get', '/readme/k', '-w', 'json']);
    expect(viaPnpm.code).toBe(0);
    expect((JSON.parse(viaPnpm.stdout) as { count: number }).count).toBe(1);
    expect((await run('npx', ['-y', 'pnpm@9.15.9', 'exec', 'kite', '--version'])).stdout).toBe('0.1.0\n');
  });

  it('endpoint status shows every member with exactly one leader', async () => {
    const rows = JSON.parse(await ok(['endpoint', 'status', '-w', 'json'])) as { endpoint: string; isLeader: boolean; raftTerm: number }[];
    expect(rows.map((r) => r.endpoint)).toEqual(cluster.endpoints);
    expect(rows.filter((r) => r.isLeader)).toHaveLength(1);
    const table = await ok(['endpoint', 'status']);
    expect(table).toMatch(/\| ENDPOINT +\| ID +\| VERSION/);
    expect((await ok(['endpoint', 'health', '-w', 'json'])).match(/"health":true/g)).toHaveLength(3);
    const cs = JSON.parse(await ok(['cluster', 'status', '--data-dir', cluster.dir, '-w', 'json'])) as { leader: string | null; members: { up: boolean; pid: number | null }[] };
    expect(cs.members.map((m) => m.up)).toEqual([true, true, true]);
    expect(cs.members.every((m) => typeof m.pid === 'number')).toBe(true);
    expect(cs.leader).toMatch(/^n[123]$/);
  });

  it('move-leader hands leadership to the member named by its hex id', async () => {
    const before = JSON.parse(await ok(['endpoint', 'status', '-w', 'json'])) as { id: string; isLeader: boolean }[];
    const from = before.find((r) => r.isLeader)!.id;
    const to = before.find((r) => !r.isLeader)!.id;
    expect(await ok(['move-leader', to])).toBe(`Leadership transferred from ${from} to ${to}\n`);
    // The old leader may report itself leader (of the old term) until the new leader's first message reaches it.
    let leaders: string[] = [];
    for (const deadline = performance.now() + 10_000; performance.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      const after = JSON.parse(await ok(['endpoint', 'status', '-w', 'json'])) as { id: string; isLeader: boolean }[];
      leaders = after.filter((r) => r.isLeader).map((r) => r.id);
      if (leaders.length === 1) break;
    }
    expect(leaders).toEqual([to]);
    const bad = await cluster.kite(['move-leader', 'ffff']);
    expect([bad.code, bad.stderr]).toEqual([1, 'Error: ffff is not a voting member [InvalidArgument]\n']);
  });

  it('defrag gives each member the space of deleted and compacted values back', async () => {
    const client = await connect({ endpoints: cluster.endpoints, timeoutMs: 10_000 });
    try {
      const value = 'x'.repeat(4096);
      for (let i = 0; i < 300; i += 30) await Promise.all(Array.from({ length: 30 }, (_, j) => client.put(`/df/${i + j}`, `${value}${i + j}`)));
      await client.delete('/df/', { prefix: true });
      await ok(['compact', String(await revisionNow()), '--physical']);
    } finally {
      client.close();
    }
    const rows = JSON.parse(await ok(['defrag', '-w', 'json'])) as { endpoint: string; dbSizeBefore: number; dbSize: number }[];
    expect(rows.map((r) => r.endpoint)).toEqual(cluster.endpoints);
    for (const r of rows) expect(r.dbSize).toBeLessThan(r.dbSizeBefore - 300 * 4096 / 2);
    expect(await ok(['defrag', '--endpoints', cluster.endpoints[0]!])).toMatch(/^Finished defragmenting kite member\[ws:\/\/127\.0\.0\.1:\d+\] \([\d.]+ \w?B -> [\d.]+ \w?B\)\n$/);
  });

  it('errors say what to do and use the documented exit codes', async () => {
    const down = await runKite(['get', 'x', '--endpoints', '127.0.0.1:1', '--dial-timeout', '500ms', '--command-timeout', '2s'], process.env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach ws:\/\/127\.0\.0\.1:1 /);
    const bad = await cluster.kite(['get', 'x', '--limit', 'many']);
    expect([bad.code, bad.stderr.trim().split('\n')[0]]).toEqual([2, "Error: --limit must be an integer ≥ 0; got 'many'"]);
    expect((await cluster.kite(['frobnicate'])).code).toBe(2);
    await ok(['put', '/c/k', '1']);
    const rev = await revisionNow();
    await ok(['compact', String(rev)]);
    const compacted = await cluster.kite(['get', '/c/k', '--rev', '1']);
    expect(compacted.code).toBe(1);
    expect(compacted.stderr).toContain(`revision 1 has been compacted; the oldest revision still available is ${rev}`);
  });

  it('concurrent lock holders never overlap and fencing tokens increase', async () => {
    const log = join(cluster.dir, 'lock.log');
    rmSync(log, { force: true });
    const holders = 5;
    const script = `echo "start $KITE_LOCK_TOKEN" >> ${log}; sleep 0.2; echo "end $KITE_LOCK_TOKEN" >> ${log}`;
    const results = await Promise.all(Array.from({ length: holders }, () => cluster.kite(['lock', '--ttl', '10', 'itest-lock', 'sh', '-c', script])));
    expect(results.map((r) => r.code)).toEqual(Array(holders).fill(0));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2 * holders);
    const tokens: number[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const [s, t] = lines[i]!.split(' ');
      expect(s).toBe('start');
      expect(lines[i + 1]).toBe(`end ${t}`);
      tokens.push(Number(t));
    }
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    expect(await ok(['get', '--prefix', '/kite/lock/itest-lock/', '--count-only'])).toBe('0\n');
  });

  it('a mirror stays equal to get --prefix through a leader kill and a compaction', async () => {
    for (let i = 0; i < 5; i++) await ok(['put', `/m/${i}`, `v${i}`]);
    const status = JSON.parse(await ok(['endpoint', 'status', '-w', 'json'])) as { endpoint: string; isLeader: boolean }[];
    const leaderIdx = status.findIndex((s) => s.isLeader);
    const leaderEndpoint = cluster.endpoints[leaderIdx]!;
    // The mirror talks only to the leader, so killing it cuts the mirror off entirely.
    const client = await connect({ endpoints: [leaderEndpoint], timeoutMs: 10_000 });
    try {
      const m = await mirror(client, '/m/');
      expect(m.snapshot()).toEqual(new Map(Array.from({ length: 5 }, (_, i) => [`/m/${i}`, `v${i}`])));
      const leaderPid = cluster.memberPids()[leaderIdx]!.pid;
      killPid(leaderPid);
      // Writes and a compaction while the mirror is cut off (the CLI fails over to the others).
      await ok(['put', '/m/1', 'changed']);
      await ok(['del', '/m/2']);
      await ok(['put', '/m/9', 'new']);
      await ok(['compact', String(await revisionNow())]);
      await ok(['put', '/m/3', 'after-compaction']);
      const up = await cluster.kite(['cluster', 'up', '--detach', '--data-dir', cluster.dir]);
      expect(up.code).toBe(0);
      const target = await revisionNow();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`mirror stuck at revision ${m.revision}, want ${target}`)), 60_000);
        const check = (): void => {
          if (m.revision >= target) {
            clearTimeout(timer);
            resolve();
          }
        };
        m.on('synced', check);
        m.on('error', (e) => reject(e instanceof Error ? e : new Error(String(e))));
        check();
      });
      const listed = JSON.parse(await ok(['get', '--prefix', '/m/', '-w', 'json'])) as { kvs: { key: string; value: string }[] };
      expect(m.snapshot()).toEqual(new Map(listed.kvs.map((kv) => [kv.key, kv.value])));
      expect(m.get('/m/2')).toBeUndefined();
      await m.close();
    } finally {
      client.close();
    }
  });
});
