// The audit trail end to end: after a scripted session of puts, deletes, txns, refused writes
// (no permission, not logged in) and role changes on a 3-member cluster with auth enabled,
// `kite audit -w json` lists every one with user, address, revision and result, and every
// member holds the identical trail; `kite history KEY` names who made each revision.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Op, connect, type AuditRecord, type KiteClient } from '@kite/client';
import { Cluster, waitFor } from './harness/cluster.js';

const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const run = promisify(execFile);

describe('audit trail', () => {
  let cluster: Cluster | undefined;
  const clients: KiteClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await cluster?.stop();
    cluster = undefined;
  });

  async function client(urls: string[], auth?: { user: string; password: string }): Promise<KiteClient> {
    const c = await connect({ endpoints: urls, timeoutMs: 8000, preferLeader: false, ...(auth ? { auth } : {}) });
    clients.push(c);
    return c;
  }

  it('records every write, refusal and auth change, identically on every member', async () => {
    cluster = await Cluster.create({ size: 3, tickMs: 20 });
    await cluster.startAll();
    await cluster.leader();
    const all = cluster.endpoints;
    const admin = await client(all);
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('app1');
    await admin.auth.roleGrantPermission('app1', 'readwrite', '/app1/', { prefix: true });
    await admin.auth.userAdd('alice', 'alicepw');
    await admin.auth.userGrantRole('alice', 'app1');
    await admin.auth.enable();
    const root = await client(all, { user: 'root', password: 'rootpw' });
    // alice on one member only (a follower or the leader: either way her writes are recorded once).
    const alice = await client([cluster.clientUrl('n2')], { user: 'alice', password: 'alicepw' });
    const anon = await client([cluster.clientUrl('n3')]);

    const p1 = await alice.put('/app1/a', '1');
    const p2 = await alice.put('/app1/a', '2');
    const t = await alice.txn({ success: [Op.put('/app1/b', 'x'), Op.delete('/app1/a')] });
    const d = await alice.delete('/app1/b');
    await alice.put('/app2/x', 'no').catch(() => undefined); // PermissionDenied
    await anon.put('/app1/z', 'no').catch(() => undefined); // Unauthenticated
    await root.auth.roleRevokePermission('app1', '/app1/', { prefix: true });
    await root.alarms.disarm(); // an alarm change: recorded through the queue, not a kv command
    const denied = await alice.put('/app1/c', 'no').catch((e: unknown) => e);
    expect(String((denied as Error).message)).toMatch(/may not write/);

    const expected = [
      ['alice', 'put', '/app1/a', p1.header.revision, 'ok'],
      ['alice', 'put', '/app1/a', p2.header.revision, 'ok'],
      ['alice', 'txn', '/app1/b', t.header.revision, 'ok'],
      ['alice', 'deleteRange', '/app1/b', d.header.revision, 'ok'],
    ];
    const text = (k: Uint8Array | undefined): string => (k === undefined ? '' : new TextDecoder().decode(k));
    const onMember = async (name: string): Promise<AuditRecord[]> => {
      const c = await client([cluster!.clientUrl(name)], { user: 'root', password: 'rootpw' });
      const r = await c.request('audit', { serializable: true });
      return [...r.records];
    };
    // Refusals arrive through the background queue: wait (bounded) until all are recorded everywhere.
    const want = 7 /* auth setup + enable */ + 4 /* writes */ + 3 /* refusals */ + 1 /* revoke */ + 1 /* alarm */;
    const trails = await waitFor('the whole trail on every member', 15_000, async () => {
      const ts = await Promise.all(['n1', 'n2', 'n3'].map(onMember));
      return ts.every((tr) => tr.length === want) ? ts : undefined;
    });
    expect(trails[1]).toEqual(trails[0]);
    expect(trails[2]).toEqual(trails[0]);
    const trail = trails[0]!;
    const writes = trail.filter((r) => r.user === 'alice' && r.result === 'ok').map((r) => [r.user, r.op, text(r.keys[0]), r.revision, r.result]);
    expect(writes).toEqual(expected);
    const refused = trail.filter((r) => r.result !== 'ok').map((r) => [r.user, r.op, text(r.keys[0]), r.result]);
    expect(refused).toEqual(expect.arrayContaining([
      ['alice', 'put', '/app2/x', 'PermissionDenied'],
      [null, 'put', '/app1/z', 'Unauthenticated'],
      ['alice', 'put', '/app1/c', 'PermissionDenied'],
    ]));
    expect(trail.filter((r) => r.op.startsWith('user') || r.op.startsWith('role') || r.op === 'authEnable').map((r) => [r.user, r.op, r.message])).toEqual([
      [null, 'userAdd', 'root'], [null, 'userGrantRole', 'root role root'], [null, 'roleAdd', 'app1'], [null, 'roleGrantPermission', 'app1'],
      [null, 'userAdd', 'alice'], [null, 'userGrantRole', 'alice role app1'], [null, 'authEnable', undefined],
      ['root', 'roleRevokePermission', 'app1'],
    ]);
    expect(trail.filter((r) => r.op === 'alarm').map((r) => [r.user, r.result])).toEqual([['root', 'ok']]);
    for (const r of trail) expect(r.address).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);

    // The CLI shows the same trail; history names who made each revision.
    const env = { ...process.env, KITE_ENDPOINTS: all.join(','), KITE_USER: 'root', KITE_PASSWORD: 'rootpw' };
    const cli = JSON.parse((await run(process.execPath, [CLI_MAIN, 'audit', '-w', 'json'], { env })).stdout) as { records: { seq: number; user: string | null; revision: number; result: string }[] };
    expect(cli.records.map((r) => [r.seq, r.user, r.revision, r.result])).toEqual(trail.map((r) => [r.seq, r.user, r.revision, r.result]));
    const byUser = JSON.parse((await run(process.execPath, [CLI_MAIN, 'audit', '--prefix', '/app1/', '--for-user', 'alice', '-w', 'json'], { env })).stdout) as { records: unknown[] };
    expect(byUser.records).toHaveLength(5);
    const history = (await run(process.execPath, [CLI_MAIN, 'history', '/app1/a'], { env })).stdout;
    expect(history).toMatch(new RegExp(`revision ${p1.header.revision} .* by alice@`));
    expect(history).toMatch(new RegExp(`revision ${t.header.revision} .*DELETE.* by alice@|revision ${t.header.revision}  DELETE  by alice@`));
  });
});
