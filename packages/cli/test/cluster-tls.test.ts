// `cluster up --tls`: the plan's URLs, the members' TLS flags, and the saved layout.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planCluster, resolvePlan, serverArgs } from '../src/cluster/layout.js';

describe('cluster layout with --tls', () => {
  it('uses https/wss URLs and gives every member mutual TLS on both doors with its own certificate', () => {
    const p = planCluster(3, 2379, '/tmp/x', true);
    expect(p.members[0]?.endpoint).toBe('wss://127.0.0.1:2379');
    expect(p.initialCluster).toBe('n1=https://127.0.0.1:2479,n2=https://127.0.0.1:2480,n3=https://127.0.0.1:2481');
    const args = serverArgs(p, p.members[1]!);
    expect(args.slice(args.indexOf('--cert-file'))).toEqual([
      '--cert-file', '/tmp/x/tls/n2.pem', '--key-file', '/tmp/x/tls/n2-key.pem', '--trusted-ca-file', '/tmp/x/tls/ca.pem', '--client-cert-auth',
      '--peer-cert-file', '/tmp/x/tls/n2.pem', '--peer-key-file', '/tmp/x/tls/n2-key.pem', '--peer-trusted-ca-file', '/tmp/x/tls/ca.pem', '--peer-client-cert-auth',
    ]);
  });

  it('remembers TLS in the saved layout and refuses --tls on a plaintext cluster\'s data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kite-layout-tls-'));
    try {
      resolvePlan(join(dir, 'a'), { tls: true }, true);
      expect(resolvePlan(join(dir, 'a'), {}, true).tls?.caFile).toBe(join(dir, 'a', 'tls', 'ca.pem'));
      resolvePlan(join(dir, 'b'), {}, true);
      expect(() => resolvePlan(join(dir, 'b'), { tls: true }, true)).toThrow(/holds a cluster without TLS; --tls does not match/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
