// TLS options (etcd's flag names) and the peer certificate ↔ member binding rule.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { certificateNames, certificateProblem } from '../src/peer-identity.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kite-tls-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
// Config only checks that the files are readable; the member's start checks they load.
for (const f of ['c.pem', 'k.pem', 'ca.pem']) writeFileSync(path.join(tmp, f), 'x');

function problems(argv: string[]): string {
  try {
    loadConfig(argv, {}, tmp);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join('\n');
    throw err;
  }
  return '';
}

describe('TLS configuration', () => {
  it('serves https on both doors by default when both certificates are given', () => {
    const cfg = loadConfig(['--cert-file', 'c.pem', '--key-file', 'k.pem', '--trusted-ca-file', 'ca.pem', '--client-cert-auth',
      '--peer-cert-file', 'c.pem', '--peer-key-file', 'k.pem', '--peer-trusted-ca-file', 'ca.pem', '--peer-client-cert-auth'], {}, tmp);
    expect(cfg.listenClientUrl.protocol).toBe('https:');
    expect(cfg.initialCluster).toEqual([{ name: 'default', peerUrl: 'https://127.0.0.1:2380' }]);
    expect(cfg.clientTls).toEqual({ certFile: path.join(tmp, 'c.pem'), keyFile: path.join(tmp, 'k.pem'), trustedCaFile: path.join(tmp, 'ca.pem'), clientCertAuth: true });
    expect(cfg.peerTls?.clientCertAuth).toBe(true);
  });

  it('is off by default', () => {
    const cfg = loadConfig([], {}, tmp);
    expect(cfg.clientTls).toBeNull();
    expect(cfg.peerTls).toBeNull();
  });

  it('refuses https URLs without a certificate and http URLs with one', () => {
    expect(problems(['--listen-client', 'https://127.0.0.1:2379'])).toContain('is https:// but --cert-file and --key-file are not set');
    expect(problems(['--peer-cert-file', 'c.pem', '--peer-key-file', 'k.pem', '--listen-peer', 'http://127.0.0.1:2380'])).toContain('must be https:// when --peer-cert-file is set');
    expect(problems(['--peer-cert-file', 'c.pem', '--peer-key-file', 'k.pem', '--initial-cluster', 'default=https://127.0.0.1:2380,n2=http://127.0.0.1:2381']))
      .toContain('initial-cluster member n2 http://127.0.0.1:2381 must be https://');
  });

  it('refuses half a pair, client-cert auth without a CA, and unreadable files', () => {
    expect(problems(['--cert-file', 'c.pem'])).toContain('--cert-file and --key-file go together');
    expect(problems(['--cert-file', 'c.pem', '--key-file', 'k.pem', '--client-cert-auth'])).toContain('--client-cert-auth needs --trusted-ca-file');
    expect(problems(['--peer-client-cert-auth'])).toContain('need --peer-cert-file and --peer-key-file');
    expect(problems(['--cert-file', 'missing.pem', '--key-file', 'k.pem'])).toContain('missing.pem: ENOENT');
  });
});

const cert = (cn: string, san = ''): PeerCertificate => ({ subject: { CN: cn }, subjectaltname: san }) as unknown as PeerCertificate;

describe('a peer certificate names a member', () => {
  it('by subject CN or a DNS subject alternative name equal to the member name', () => {
    expect(certificateNames(cert('n1', 'DNS:n1, DNS:localhost, IP Address:127.0.0.1'))).toEqual(['n1', 'n1', 'localhost']);
    expect(certificateProblem(cert('n1'), { name: 'n1', peerUrl: 'https://127.0.0.1:1' })).toBeNull();
    expect(certificateProblem(cert('kite', 'DNS:n2'), { name: 'n2', peerUrl: 'https://127.0.0.1:1' })).toBeNull();
  });

  it('refuses another member\'s certificate and no certificate', () => {
    expect(certificateProblem(cert('n3', 'DNS:n3, IP Address:127.0.0.1'), { name: 'n1', peerUrl: 'https://127.0.0.1:1' })).toContain('not member "n1"');
    expect(certificateProblem(null, { name: 'n1', peerUrl: 'https://127.0.0.1:1' })).toBe('no certificate presented');
    expect(certificateProblem({} as PeerCertificate, { name: 'n1', peerUrl: 'https://127.0.0.1:1' })).toBe('no certificate presented');
  });

  it('falls back to the peer URL host for a member added but not yet named', () => {
    expect(certificateProblem(cert('n4', 'DNS:n4, IP Address:10.0.0.4'), { name: '', peerUrl: 'https://10.0.0.4:2380' })).toBeNull();
    expect(certificateProblem(cert('n4', 'DNS:n4, IP Address:10.0.0.4'), { name: '', peerUrl: 'https://10.0.0.5:2380' })).toContain('does not cover the member\'s peer host');
  });
});
