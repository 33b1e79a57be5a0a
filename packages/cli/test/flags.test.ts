// Flag validation, key ranges and the local cluster layout: bad input says what is allowed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseChoice, parseDurationMs, parseEndpoints, parseIntFlag, parseOutputFormat } from '../src/flags.js';
import { keyRange } from '../src/range-select.js';
import { parseSort } from '../src/commands/kv.js';
import { parseLeaseId, formatLeaseId } from '../src/bytes.js';
import { planCluster, resolvePlan, serverArgs, PEER_PORT_OFFSET } from '../src/cluster/layout.js';
import { etcdctlLine } from '../src/cluster/up.js';
import { UsageError } from '../src/errors.js';

const dec = new TextDecoder();

describe('flag validation', () => {
  it('integers: bounds and garbage name the flag and the allowed range', () => {
    expect(parseIntFlag('--limit', '10')).toBe(10);
    expect(() => parseIntFlag('--limit', 'x')).toThrow("--limit must be an integer ≥ 0; got 'x'");
    expect(() => parseIntFlag('--nodes', '12', { min: 1, max: 9 })).toThrow('--nodes must be an integer from 1 to 9; got 12');
    expect(() => parseIntFlag('--rev', '-1')).toThrow(UsageError);
  });

  it('choices and output formats list what is allowed', () => {
    expect(parseOutputFormat(undefined)).toBe('simple');
    expect(() => parseOutputFormat('yaml')).toThrow("-w/--write-out must be one of simple, json, table; got 'yaml'");
    expect(() => parseChoice('--consistency', 'x', ['l', 's'])).toThrow('--consistency must be one of l, s');
    expect(parseSort('create', 'descend')).toEqual({ sortTarget: 'createRevision', sortOrder: 'descend' });
    expect(parseSort(undefined, undefined)).toEqual({});
    expect(() => parseSort('size', undefined)).toThrow('--sort-by must be one of KEY, CREATE, MODIFY, VALUE, VERSION');
  });

  it('endpoints: env default, schemes, bare host:port', () => {
    expect(parseEndpoints(undefined, {})).toEqual(['ws://127.0.0.1:2379']);
    expect(parseEndpoints(undefined, { KITE_ENDPOINTS: '127.0.0.1:1,http://h:2' })).toEqual(['ws://127.0.0.1:1', 'ws://h:2']);
    expect(parseEndpoints('wss://a:3/v1', {})).toEqual(['wss://a:3']);
    expect(() => parseEndpoints('ftp://a:1', {})).toThrow(/needs a host and a port/);
    expect(() => parseEndpoints('localhost', {})).toThrow(/needs a host and a port/);
  });

  it('durations', () => {
    expect([parseDurationMs('--t', '500ms'), parseDurationMs('--t', '2s'), parseDurationMs('--t', '1m'), parseDurationMs('--t', '3')]).toEqual([500, 2000, 60000, 3000]);
    expect(() => parseDurationMs('--t', 'soon')).toThrow('--t must be a duration like 500ms, 10s or 2m');
  });

  it('lease ids round-trip through hex', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (id) => {
      expect(parseLeaseId('ID', formatLeaseId(id))).toBe(id);
    }));
    expect(() => parseLeaseId('ID', 'xyz')).toThrow(/must be a lease id in hex/);
  });
});

describe('key ranges', () => {
  it('prefix, from-key, explicit end, and every key', () => {
    const s = (r: { key: Uint8Array; rangeEnd?: Uint8Array }): [string, string | undefined] =>
      [dec.decode(r.key), r.rangeEnd === undefined ? undefined : Buffer.from(r.rangeEnd).toString('hex')];
    expect(s(keyRange('/a/', undefined, { prefix: true }))).toEqual(['/a/', Buffer.from('/a0').toString('hex')]);
    expect(s(keyRange('k', undefined, { fromKey: true }))).toEqual(['k', '00']);
    expect(s(keyRange('a', 'c', {}))).toEqual(['a', Buffer.from('c').toString('hex')]);
    expect(s(keyRange('', undefined, { prefix: true }))).toEqual(['\0', '00']);
    expect(() => keyRange('', undefined, {})).toThrow(/must not be empty/);
    expect(() => keyRange('a', 'b', { prefix: true })).toThrow(/only one of/);
  });

  it('--prefix bounds exactly the keys with the prefix (property)', () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 4 }), (p, tail) => {
      const { key, rangeEnd } = keyRange(p, undefined, { prefix: true });
      const end = rangeEnd ?? new Uint8Array();
      expect(Buffer.from(key).toString()).toBe(p);
      const k = Buffer.concat([key, tail]);
      const unbounded = end.length === 1 && end[0] === 0;
      expect(unbounded || Buffer.compare(k, Buffer.from(end)) < 0).toBe(true);
    }));
  });
});

describe('cluster layout', () => {
  it('gives each member a client port from the base, an etcd gRPC port 10 above and a peer port 100 above', () => {
    const p = planCluster(3, 2379, '/tmp/x');
    expect(p.members.map((m) => [m.name, m.clientPort, m.grpcPort, m.peerPort])).toEqual([['n1', 2379, 2389, 2479], ['n2', 2380, 2390, 2480], ['n3', 2381, 2391, 2481]]);
    expect(etcdctlLine(p)).toBe('ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:2389,http://127.0.0.1:2390,http://127.0.0.1:2391 endpoint status');
    expect(p.initialCluster).toBe('n1=http://127.0.0.1:2479,n2=http://127.0.0.1:2480,n3=http://127.0.0.1:2481');
    expect(serverArgs(p, p.members[1]!)).toEqual([
      'server', '--name', 'n2', '--data-dir', '/tmp/x/n2', '--listen-client', 'http://127.0.0.1:2380',
      '--listen-peer', 'http://127.0.0.1:2480', '--grpc-listen', 'http://127.0.0.1:2390', '--initial-cluster', p.initialCluster,
    ]);
    expect(PEER_PORT_OFFSET).toBe(100);
  });

  it('reuses the saved layout and refuses a conflicting one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kite-layout-'));
    try {
      const first = resolvePlan(dir, { nodes: 5, basePort: 30000 }, true);
      expect(first.nodes).toBe(5);
      const again = resolvePlan(dir, {}, true);
      expect([again.nodes, again.basePort]).toEqual([5, 30000]);
      expect(() => resolvePlan(dir, { nodes: 3 }, true)).toThrow(/holds a 5-member cluster; --nodes 3 does not match/);
      expect(() => resolvePlan(join(dir, 'new'), { basePort: 65500 }, true)).toThrow(/--base-port must be from 1024 to/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
