// The NOSPACE alarm end to end, as etcd's Maintenance.Alarm behaves: the write the quota refuses
// raises the alarm through Raft, so EVERY member lists it and refuses writes that add data
// (deletes still go through); disarming while still over quota only lasts until the next write,
// which raises it again; the alarm survives a restart of every member; once space allows
// (here: the members restarted with a larger --quota-bytes, the etcd runbook's other cure),
// disarm lets writes through again. Alarms are listed and disarmed through @kite/client and
// the `kite alarm` CLI.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type KiteClient } from '@kite/client';
import type { AlarmMember } from '@kite/protocol';
import { Cluster, waitFor } from './harness/cluster.js';
import { WireClient, b, ok } from './harness/wire.js';

const CLI_BIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const NAMES = ['n1', 'n2', 'n3'] as const;
const VALUE_BYTES = 64 * 1024;
const QUOTA_BYTES = 1024 * 1024;
const LARGE_QUOTA_BYTES = 256 * 1024 * 1024;
/** Far more writes than the quota holds, so only the quota ends the fill loop. */
const FILL_WRITES_MAX = (8 * QUOTA_BYTES) / VALUE_BYTES;

async function putCode(c: WireClient, key: string, value: Uint8Array = b('x')): Promise<string> {
  const r = await c.request('put', { key: b(key), value });
  return r.ok ? 'ok' : r.error.code;
}

describe('the NOSPACE alarm', () => {
  let cluster: Cluster | undefined;
  const wires: WireClient[] = [];
  const clients: KiteClient[] = [];
  afterAll(async () => {
    for (const c of wires) c.close();
    for (const c of clients) c.close();
    await cluster?.stop();
  });

  const wire = async (name: string): Promise<WireClient> => {
    const c = await WireClient.connect(cluster!.clientUrl(name));
    wires.push(c);
    return c;
  };
  const client = async (name: string): Promise<KiteClient> => {
    const c = await connect({ endpoints: [cluster!.clientUrl(name)], timeoutMs: 5_000 });
    clients.push(c);
    return c;
  };
  /** The alarms each member lists (linearizable, so each has applied the latest change). */
  const listEverywhere = async (): Promise<AlarmMember[][]> =>
    Promise.all(NAMES.map(async (n) => (await client(n)).alarms.list().then((r) => [...r.alarms])));

  it('is raised cluster-wide by a refused write, re-arms after an early disarm, survives restarts, and disarms once space allows', async () => {
    // A small --snapshot-entries so the alarm also crosses a raft snapshot (the registry's encoding).
    cluster = await Cluster.create({ size: 3, flags: ['--quota-bytes', String(QUOTA_BYTES), '--snapshot-entries', '8'] });
    await cluster.startAll();
    const leaderName = await cluster.leader();
    const leaderId = (await cluster.status(leaderName)).memberId;
    const w1 = await wire('n1');

    // Fill until the quota refuses (the leader charges its quota for every write).
    let refused = '';
    let written = 0;
    for (let i = 0; i < FILL_WRITES_MAX && refused === ''; i++) {
      const code = await putCode(w1, `a/${String(i).padStart(4, '0')}`, randomBytes(VALUE_BYTES));
      if (code === 'ok') written++;
      else refused = code;
    }
    expect(refused).toBe('NoSpace');
    expect(written).toBeGreaterThan(0);

    // Replicated: every member lists the leader's alarm and refuses writes; deletes still work.
    const expected = [{ memberId: leaderId, alarm: 'NOSPACE' }];
    expect(await listEverywhere()).toEqual([expected, expected, expected]);
    for (const n of NAMES) expect(await putCode(await wire(n), `b/${n}`)).toBe('NoSpace');
    ok(await w1.request('deleteRange', { key: b('a/0000') }));

    // The CLI shows it too, in etcdctl's simple form and as JSON.
    const cli = (args: string[]): string => {
      const r = spawnSync(process.execPath, [CLI_BIN, 'alarm', ...args, '--endpoints', cluster!.clientUrl('n2')], { encoding: 'utf8', timeout: 15_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(cli(['list'])).toBe(`memberID:${leaderId} alarm:NOSPACE\n`);
    expect(JSON.parse(cli(['list', '-w', 'json']))).toEqual({ alarms: expected });

    // Disarmed while still over quota: the next write is refused and raises it again (etcd).
    const c2 = await client('n2');
    expect((await c2.alarms.disarm()).alarms).toEqual(expected);
    expect(await listEverywhere()).toEqual([[], [], []]);
    expect(await putCode(w1, 'c/again')).toBe('NoSpace');
    expect(await listEverywhere()).toEqual([expected, expected, expected]);

    // Free what can be freed, then restart every member with a larger quota. The alarm is
    // replicated state: it survives the restarts and still refuses writes.
    const rev = ok(await w1.request('deleteRange', { key: b('a/'), rangeEnd: b('a0') })).header.revision;
    ok(await w1.request('compact', { revision: rev, physical: true }));
    for (const c of clients.splice(0)) c.close();
    for (const c of wires.splice(0)) c.close();
    for (const n of NAMES) await cluster.kill(n, 'SIGTERM');
    for (const n of NAMES) cluster.start(n, ['--quota-bytes', String(LARGE_QUOTA_BYTES)]);
    await cluster.leader(20_000);
    const lists = await waitFor('every member to answer alarm list after the restart', 20_000, async () => listEverywhere());
    const raisedBy = lists[0]?.map((a) => a.memberId) ?? [];
    expect(raisedBy.length).toBeGreaterThan(0);
    for (const l of lists) expect(l).toEqual(raisedBy.map((memberId) => ({ memberId, alarm: 'NOSPACE' })));
    const w3 = await wire('n3');
    expect(await putCode(w3, 'd/while-armed')).toBe('NoSpace');

    // Space allows now: disarm through the CLI, then writes succeed on every member.
    expect(cli(['disarm', '--alarm', 'nospace', '-w', 'json'])).toContain('NOSPACE');
    expect(await listEverywhere()).toEqual([[], [], []]);
    for (const n of NAMES) expect(await putCode(await wire(n), `e/${n}`)).toBe('ok');
    for (const n of NAMES) await cluster.waitHealthy(n);
  });
});
