// etcd's JSON gateway on a real 3-member Kite cluster's client HTTP ports, called the way
// etcd's gateway docs call it with curl (POST, JSON bodies, base64 keys and values, 64-bit
// integers as strings): kv, txn, compaction, a streaming watch, leases, members, status, and
// grpc-gateway's error shapes for unknown routes, wrong methods, bad JSON and etcd's errors.

import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, waitFor } from './harness/cluster.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

interface Json {
  readonly [k: string]: unknown;
}

let cluster: Cluster;

beforeAll(async () => {
  // etcd's default timing (1 s election): large bodies and floods stall a loaded 2-core
  // machine's event loops for longer than the harness's fast 200 ms election timeout.
  cluster = await Cluster.create({ size: 3, tickMs: 100 });
  await cluster.startAll();
  await cluster.leader();
});

afterAll(async () => {
  await cluster?.stop();
});

/** `curl -X POST <member>/<path> -d <body>`: status and parsed JSON. */
async function post(member: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${cluster.httpUrl(member)}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

async function ok(member: string, path: string, body: unknown): Promise<Json> {
  const r = await post(member, path, body);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r.json;
}

/** A streaming POST read line by line; `close()` hangs up like a ^C'd curl. */
function openStream(member: string, path: string, body: string): { lines: Json[]; ended: Promise<void>; close(): void } {
  const lines: Json[] = [];
  const url = new URL(`${cluster.httpUrl(member)}${path}`);
  let resolveEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST' }, (res) => {
    let buffered = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffered.slice(0, nl)) as Json);
        buffered = buffered.slice(nl + 1);
      }
    });
    res.on('end', () => resolveEnded());
    res.on('close', () => resolveEnded());
  });
  req.on('error', () => resolveEnded());
  req.end(body);
  return { lines, ended, close: () => req.destroy() };
}

/** A streaming POST whose body stays open: `send` writes one more request object. */
function openDuplex(member: string, path: string): { lines: Json[]; send(obj: unknown): void; close(): void } {
  const lines: Json[] = [];
  const url = new URL(`${cluster.httpUrl(member)}${path}`);
  const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST' }, (res) => {
    let buffered = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffered.slice(0, nl)) as Json);
        buffered = buffered.slice(nl + 1);
      }
    });
  });
  req.on('error', () => undefined);
  req.flushHeaders();
  return { lines, send: (obj) => void req.write(JSON.stringify(obj) + '\n'), close: () => req.destroy() };
}

async function watchers(member: string): Promise<number> {
  const m = /^kite_server_watchers (\d+)$/m.exec(await cluster.metrics(member));
  return Number(m?.[1] ?? Number.NaN);
}

const resultOf = (line: Json | undefined): Json => (line?.['result'] ?? {}) as Json;

describe('etcd JSON gateway', () => {
  it('puts and ranges as etcd\'s docs show: base64 bytes, int64 as strings, the header filled', async () => {
    const put = await ok('n1', '/v3/kv/put', { key: b64('foo'), value: b64('bar') });
    const header = put['header'] as Json;
    expect(Object.keys(header)).toEqual(['cluster_id', 'member_id', 'revision', 'raft_term']);
    for (const v of Object.values(header)) expect(v).toMatch(/^[0-9]+$/);
    const status = await cluster.status('n1');
    expect(BigInt(header['member_id'] as string).toString(16).padStart(16, '0')).toBe(status.memberId);
    // Read through another member: the write is there (linearizable read on a follower).
    const range = await ok('n2', '/v3/kv/range', { key: 'Zm9v' });
    expect(range['kvs']).toEqual([{ key: 'Zm9v', create_revision: header['revision'], mod_revision: header['revision'], version: '1', value: 'YmFy' }]);
    expect(range['count']).toBe('1');
    expect(range['more']).toBeUndefined();
  });

  it('ranges a prefix with limit, sort and count_only; deletes with prev_kv', async () => {
    for (const k of ['p/a', 'p/b', 'p/c']) await ok('n3', '/v3/kv/put', { key: b64(k), value: b64(`v-${k}`) });
    const limited = await ok('n1', '/v3/kv/range', { key: b64('p/'), range_end: b64('p0'), limit: 2, sort_order: 'DESCEND', sort_target: 'KEY' });
    expect((limited['kvs'] as Json[]).map((kv) => unb64(kv['key'] as string))).toEqual(['p/c', 'p/b']);
    expect(limited['more']).toBe(true);
    expect(limited['count']).toBe('3');
    const counted = await ok('n1', '/v3/kv/range', { key: b64('p/'), rangeEnd: b64('p0'), countOnly: true });
    expect(counted['kvs']).toBeUndefined();
    expect(counted['count']).toBe('3');
    const del = await ok('n2', '/v3/kv/deleterange', { key: b64('p/a'), prev_kv: true });
    expect(del['deleted']).toBe('1');
    expect((del['prev_kvs'] as Json[]).map((kv) => unb64(kv['value'] as string))).toEqual(['v-p/a']);
  });

  it('runs a txn written the docs\' way (camelCase, enum names) and answers the branch\'s responses', async () => {
    const put = await ok('n1', '/v3/kv/put', { key: b64('t'), value: b64('1') });
    const rev = (put['header'] as Json)['revision'] as string;
    const txn = await ok('n2', '/v3/kv/txn', {
      compare: [{ target: 'CREATE', key: b64('t'), createRevision: rev }],
      success: [{ requestPut: { key: b64('t'), value: b64('2') } }, { requestRange: { key: b64('t') } }],
    });
    expect(txn['succeeded']).toBe(true);
    const responses = txn['responses'] as Json[];
    expect(Object.keys(responses[0] ?? {})).toEqual(['response_put']);
    const kvs = ((responses[1] as Json)['response_range'] as Json)['kvs'] as Json[];
    expect(unb64(kvs[0]?.['value'] as string)).toBe('2');
    const failed = await ok('n3', '/v3/kv/txn', { compare: [{ target: 'VALUE', result: 'EQUAL', key: b64('t'), value: b64('1') }], failure: [{ request_range: { key: b64('t') } }] });
    expect(failed['succeeded']).toBeUndefined(); // false is the zero value: left out, as etcd's gateway does
  });

  it('compacts, then answers a read below the compaction with etcd\'s error (400, code 11)', async () => {
    const first = await ok('n1', '/v3/kv/put', { key: b64('c'), value: b64('1') });
    await ok('n1', '/v3/kv/put', { key: b64('c'), value: b64('2') });
    const rev = BigInt((first['header'] as Json)['revision'] as string);
    await ok('n2', '/v3/kv/compaction', { revision: String(rev + 1n), physical: true });
    const r = await post('n3', '/v3/kv/range', { key: b64('c'), revision: String(rev) });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: 'etcdserver: mvcc: required revision has been compacted', code: 11, message: 'etcdserver: mvcc: required revision has been compacted' });
  });

  it('answers unknown routes, wrong methods, bad JSON and bad fields with grpc-gateway\'s JSON errors; the member keeps serving', async () => {
    const unknown = await post('n1', '/v3/kv/nope', {});
    expect(unknown).toEqual({ status: 404, json: { error: 'Not Found', code: 5, message: 'Not Found' } });
    const get = await fetch(`${cluster.httpUrl('n1')}/v3/kv/range`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(((await get.json()) as Json)['code']).toBe(12);
    const badJson = await post('n1', '/v3/kv/range', '{"key": "Zm9v"');
    expect(badJson.status).toBe(400);
    expect(badJson.json['code']).toBe(3);
    expect(badJson.json['message']).toMatch(/^invalid JSON/);
    const badField = await post('n1', '/v3/kv/put', { key: b64('k'), valu: b64('v') });
    expect(badField).toEqual({ status: 400, json: { error: 'unknown field "valu" in etcdserverpb.PutRequest', code: 3, message: 'unknown field "valu" in etcdserverpb.PutRequest' } });
    const badBytes = await post('n1', '/v3/kv/put', { key: 'not base64!', value: b64('v') });
    expect(badBytes.status).toBe(400);
    expect(badBytes.json['message']).toBe('etcdserverpb.PutRequest.key: expected base64-encoded bytes');
    const emptyKey = await post('n1', '/v3/kv/put', { value: b64('v') });
    expect(emptyKey.json).toEqual({ error: 'etcdserver: key is not provided', code: 3, message: 'etcdserver: key is not provided' });
    // The rest of the client port is as it was.
    expect((await cluster.get(`${cluster.httpUrl('n1')}/health`)).status).toBe(200);
    await ok('n1', '/v3/kv/range', { key: b64('foo') });
  });

  it('watches as etcd\'s docs show: the whole body sent, then created and events as {"result"} lines until the client hangs up', async () => {
    const before = await watchers('n2');
    const w = openStream('n2', '/v3/watch', '{"create_request": {"key":"d2F0Y2hlZA=="} }');
    await waitFor('created', 10_000, () => (w.lines.length >= 1 ? true : undefined));
    expect(resultOf(w.lines[0])['created']).toBe(true);
    expect(resultOf(w.lines[0])['watch_id']).toBeUndefined(); // id 0: the zero value, left out
    await ok('n1', '/v3/kv/put', { key: b64('watched'), value: b64('one') });
    await ok('n3', '/v3/kv/deleterange', { key: b64('watched') });
    await waitFor('two events', 10_000, () => (w.lines.flatMap((l) => (resultOf(l)['events'] as Json[] | undefined) ?? []).length >= 2 ? true : undefined));
    const events = w.lines.flatMap((l) => (resultOf(l)['events'] as Json[] | undefined) ?? []);
    expect(events[0]).toMatchObject({ kv: { key: b64('watched'), value: b64('one'), version: '1' } });
    expect(events[0]?.['type']).toBeUndefined(); // PUT is the enum's zero: left out, as etcd's gateway does
    expect(events[1]).toMatchObject({ type: 'DELETE', kv: { key: b64('watched') } });
    expect(await watchers('n2')).toBe(before + 1);
    w.close();
    await waitFor('the watcher to go with the client', 10_000, async () => ((await watchers('n2')) === before ? true : undefined));
  });

  it('takes watch requests as they arrive on an open body: create from a revision with prev_kv, progress, cancel', async () => {
    const first = await ok('n1', '/v3/kv/put', { key: b64('w/a'), value: b64('1') });
    await ok('n1', '/v3/kv/put', { key: b64('w/a'), value: b64('2') });
    const w = openDuplex('n3', '/v3/watch');
    try {
      w.send({ create_request: { key: b64('w/'), range_end: b64('w0'), start_revision: (first['header'] as Json)['revision'], prev_kv: true, watch_id: 7 } });
      await waitFor('created and the history', 10_000, () => (w.lines.length >= 2 ? true : undefined));
      expect(resultOf(w.lines[0])).toMatchObject({ created: true, watch_id: '7' });
      const history = w.lines.slice(1).flatMap((l) => resultOf(l)['events'] as Json[]);
      expect(history.map((e) => unb64((e['kv'] as Json)['value'] as string))).toEqual(['1', '2']);
      expect(unb64((history[1]?.['prev_kv'] as Json)['value'] as string)).toBe('1');
      const seen = w.lines.length;
      w.send({ progress_request: {} });
      await waitFor('the progress answer', 10_000, () => (w.lines.length > seen ? true : undefined));
      const progress = resultOf(w.lines[seen]);
      expect(progress['events']).toBeUndefined();
      expect(progress['watch_id']).toBe('-1');
      w.send({ cancel_request: { watch_id: 7 } });
      await waitFor('canceled', 10_000, () => (w.lines.some((l) => resultOf(l)['canceled'] === true) ? true : undefined));
      // A malformed request on the open body ends the stream with an {"error"} line.
      w.send({ create_request: { key: 12 } });
      await waitFor('the error line', 10_000, () => (w.lines.some((l) => l['error'] !== undefined) ? true : undefined));
      expect(w.lines.at(-1)).toEqual({
        error: { grpc_code: 3, http_code: 400, message: 'etcdserverpb.WatchRequest.create_request.key: expected base64-encoded bytes', http_status: 'Bad Request' },
      });
    } finally {
      w.close();
    }
  });

  it('grants, keeps alive (a streamed reply), lists, reads the TTL of and revokes a lease', async () => {
    const grant = await ok('n2', '/v3/lease/grant', { TTL: 30 });
    const id = grant['ID'] as string;
    expect(id).toMatch(/^[0-9]+$/);
    expect(grant['TTL']).toBe('30');
    await ok('n3', '/v3/kv/put', { key: b64('leased'), value: b64('v'), lease: id });
    // keepalive is a stream: one {"result": ...} line per request in the body, then the end.
    const ka = openStream('n1', '/v3/lease/keepalive', `{"ID":"${id}"}\n{"ID":"${id}"}`);
    await ka.ended;
    expect(ka.lines).toHaveLength(2);
    for (const line of ka.lines) {
      const result = line['result'] as Json;
      expect(result['ID']).toBe(id);
      expect(Number(result['TTL'])).toBeGreaterThan(0);
    }
    const ttl = await ok('n1', '/v3/lease/timetolive', { ID: id, keys: true });
    expect(ttl['grantedTTL']).toBe('30');
    expect((ttl['keys'] as string[]).map(unb64)).toEqual(['leased']);
    const leases = await ok('n3', '/v3/lease/leases', {});
    expect((leases['leases'] as Json[]).map((l) => l['ID'])).toContain(id);
    // etcd 3.4's older alias for the same call.
    const aliased = await ok('n3', '/v3/kv/lease/leases', {});
    expect(aliased['leases']).toEqual(leases['leases']);
    await ok('n2', '/v3/lease/revoke', { ID: id });
    const gone = await ok('n1', '/v3/kv/range', { key: b64('leased') });
    expect(gone['kvs']).toBeUndefined();
    const missing = await post('n1', '/v3/lease/revoke', { ID: id });
    expect(missing).toEqual({ status: 404, json: { error: 'etcdserver: requested lease not found', code: 5, message: 'etcdserver: requested lease not found' } });
  });

  it('lists, adds (learner), updates its peer URLs, refuses to promote an unsynced learner, and removes a member', async () => {
    const list = await ok('n1', '/v3/cluster/member/list', {});
    const members = list['members'] as Json[];
    expect(members.map((m) => m['name']).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const m of members) expect(m['ID']).toMatch(/^[0-9]+$/);
    const added = await ok('n2', '/v3/cluster/member/add', { peerURLs: ['http://127.0.0.1:1'], isLearner: true });
    const learner = added['member'] as Json;
    expect(learner['isLearner']).toBe(true);
    expect(learner['peerURLs']).toEqual(['http://127.0.0.1:1']);
    const id = learner['ID'] as string;
    // MemberUpdate changes the peer URLs on every member (a replicated registry entry).
    const updated = await ok('n3', '/v3/cluster/member/update', { ID: id, peerURLs: ['http://127.0.0.1:2'] });
    const listed = (updated['members'] as Json[]).find((m) => m['ID'] === id);
    expect(listed?.['peerURLs']).toEqual(['http://127.0.0.1:2']);
    const seen = ((await ok('n1', '/v3/cluster/member/list', { linearizable: true }))['members'] as Json[]).find((m) => m['ID'] === id);
    expect(seen?.['peerURLs']).toEqual(['http://127.0.0.1:2']);
    const promote = await post('n1', '/v3/cluster/member/promote', { ID: id });
    expect(promote.status).toBe(400);
    expect(promote.json['code']).toBe(9);
    expect(promote.json['message']).toBe('etcdserver: can only promote a learner member which is in sync with leader');
    await ok('n1', '/v3/cluster/member/remove', { ID: id });
    // Another member's own view may not have applied the removal yet: read it linearizably.
    const after = (await ok('n2', '/v3/cluster/member/list', { linearizable: true }))['members'] as Json[];
    expect(after.map((m) => m['ID'])).not.toContain(id);
  });

  it('answers maintenance status with the member\'s view', async () => {
    const status = await ok('n3', '/v3/maintenance/status', {});
    const header = status['header'] as Json;
    expect(status['leader']).toMatch(/^[0-9]+$/);
    expect(Number(status['raftIndex'])).toBeGreaterThan(0);
    expect(Number(status['dbSize'])).toBeGreaterThan(0);
    expect(typeof status['version']).toBe('string');
    expect(BigInt(header['member_id'] as string).toString(16).padStart(16, '0')).toBe((await cluster.status('n3')).memberId);
  });

  it('streams a snapshot as {"result": {"blob", "remaining_bytes"}} lines, the last with nothing remaining', async () => {
    const snap = openStream('n1', '/v3/maintenance/snapshot', '{}');
    await snap.ended;
    expect(snap.lines.length).toBeGreaterThan(0);
    expect(snap.lines.every((l) => l['result'] !== undefined && l['error'] === undefined)).toBe(true);
    const results = snap.lines.map(resultOf);
    for (const r of results) expect(Buffer.from(r['blob'] as string, 'base64').length).toBeGreaterThan(0);
    expect(results.at(-1)?.['remaining_bytes']).toBeUndefined(); // 0: left out
  });

  it('refuses a body past the request limit with etcd\'s "request is too large" before reading it all', async () => {
    const huge = JSON.stringify({ key: b64('big'), value: Buffer.alloc(3 * 1024 * 1024, 1).toString('base64') });
    const r = await post('n1', '/v3/kv/put', huge);
    expect(r).toEqual({ status: 400, json: { error: 'etcdserver: request is too large', code: 3, message: 'etcdserver: request is too large' } });
    // Just under the body bound but over the request limit: the member's own check answers.
    const over = JSON.stringify({ key: b64('big'), value: Buffer.alloc(1.5 * 1024 * 1024 + 1, 1).toString('base64') });
    const r2 = await post('n1', '/v3/kv/put', over);
    expect(r2.status).toBe(400);
    expect(r2.json['message']).toBe('etcdserver: request is too large');
    const got = await ok('n1', '/v3/kv/range', { key: b64('big') });
    expect(got['kvs']).toBeUndefined();
  });

  it('with auth on, takes the token from /v3/auth/authenticate in the Authorization header', async () => {
    await ok('n1', '/v3/auth/user/add', { name: 'root', password: 'pw' });
    const grant = await post('n1', '/v3/auth/user/grant', { user: 'root', role: 'root' });
    if (grant.status !== 200) {
      // etcd needs the root role created first; Kite may have it built in.
      await ok('n1', '/v3/auth/role/add', { name: 'root' });
      await ok('n1', '/v3/auth/user/grant', { user: 'root', role: 'root' });
    }
    // The last case of the file: nothing after it runs with auth on.
    await ok('n1', '/v3/auth/enable', {});
    const wrong = await post('n2', '/v3/auth/authenticate', { name: 'root', password: 'nope' });
    expect(wrong.status).toBe(400);
    expect(wrong.json['message']).toBe('etcdserver: authentication failed, invalid user ID or password');
    const auth = await ok('n2', '/v3/auth/authenticate', { name: 'root', password: 'pw' });
    const token = auth['token'] as string;
    expect(token.length).toBeGreaterThan(0);
    const anonymous = await post('n3', '/v3/kv/put', { key: b64('authed'), value: b64('v') });
    expect(anonymous.status).toBe(400);
    expect(anonymous.json['message']).toBe('etcdserver: user name is empty');
    const bogus = await post('n3', '/v3/kv/put', { key: b64('authed'), value: b64('v') }, { authorization: 'not-a-token' });
    expect(bogus).toEqual({ status: 401, json: { error: 'etcdserver: invalid auth token', code: 16, message: 'etcdserver: invalid auth token' } });
    // Kite's default (simple) tokens are valid on the member that issued them.
    const put = await post('n2', '/v3/kv/put', { key: b64('authed'), value: b64('v') }, { authorization: token });
    expect(put.status).toBe(200);
    const got = await post('n2', '/v3/kv/range', { key: b64('authed') }, { authorization: token });
    expect(((got.json['kvs'] as Json[])[0] as Json)['value']).toBe(b64('v'));
    expect((await post('n2', '/v3/auth/disable', {}, { authorization: token })).status).toBe(200);
    const status = await ok('n2', '/v3/auth/status', {});
    expect(status['enabled']).toBeUndefined(); // false: left out
  });
});
