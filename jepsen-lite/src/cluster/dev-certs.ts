// Throw-away certificates for local TLS clusters (`kite cluster up --tls`, jepsen-lite --tls,
// tests): one CA, one certificate per member, one client certificate.
//
// Made with @peculiar/x509 over Node's own WebCrypto (ECDSA P-256, native and fast), not the
// openssl binary: a fresh machine with only Node 20 + npm has no guaranteed openssl, and
// pure-JS RSA generation (node-forge) takes seconds per key on a busy machine.
//
// Invariants: a member's certificate names the member (CN and a DNS SAN equal to its name:
// that is what a member's peer identity is checked against, see the server's peer-identity.ts)
// and also covers localhost / 127.0.0.1 / ::1 so URL hostname checks pass on one machine. Every
// leaf is valid for both serverAuth and clientAuth (a member dials and accepts peer links).
// Keys are PKCS#8 PEM, written with mode 0600. The library (and the reflect-metadata polyfill
// its dependency injection needs, a global) is loaded on first use only, so importing
// jepsen-lite does not patch `Reflect` for programs that never make a certificate.

import { webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as X509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
let loaded: Promise<typeof X509> | null = null;

function lib(): Promise<typeof X509> {
  loaded ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return loaded;
}

const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const DAY_MS = 86_400_000;
/** Leaves are short-lived on purpose: these are for local use only. */
export const DEV_CERT_VALID_DAYS = 30;

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface DevCa extends PemPair {
  readonly keys: CryptoKeyPair;
  readonly cert: X509.X509Certificate;
}

export interface LeafSpec {
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validDays?: number;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const x509 = await lib();
  const der = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
}

function validity(days: number): { notBefore: Date; notAfter: Date } {
  // Back-dated a little so a member whose clock is slightly behind accepts it at once.
  const now = Date.now();
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + days * DAY_MS) };
}

export async function makeCa(commonName: string, validDays = DEV_CERT_VALID_DAYS): Promise<DevCa> {
  const x509 = await lib();
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(validDays),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, cert, certPem: cert.toString('pem'), keyPem: await keyPem(keys) };
}

export async function issueCert(ca: DevCa, spec: LeafSpec): Promise<PemPair> {
  const x509 = await lib();
  const keys = await newKeys();
  const names: X509.JsonGeneralName[] = [
    ...(spec.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(spec.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${spec.commonName}`,
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    ...validity(spec.validDays ?? DEV_CERT_VALID_DAYS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys) };
}

/** A member's certificate: named after the member, valid for this machine's loopback. */
export function issueMemberCert(ca: DevCa, name: string, validDays?: number): Promise<PemPair> {
  return issueCert(ca, {
    commonName: name,
    dnsNames: [name, 'localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
    ...(validDays === undefined ? {} : { validDays }),
  });
}

export interface DevCertFiles {
  readonly dir: string;
  /** The CA itself (in memory only: its key is never written), to issue more certificates. */
  readonly ca: DevCa;
  readonly caFile: string;
  /** Per member name: its certificate and key files. */
  readonly members: ReadonlyMap<string, { readonly certFile: string; readonly keyFile: string }>;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
}

function writePair(dir: string, base: string, pair: PemPair): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, `${base}.pem`);
  const keyFile = path.join(dir, `${base}-key.pem`);
  writeFileSync(certFile, pair.certPem);
  writeFileSync(keyFile, pair.keyPem, { mode: 0o600 });
  return { certFile, keyFile };
}

/** Writes ca.pem, <member>.pem/-key.pem and client.pem/-key.pem under `dir`. */
export async function writeDevCerts(dir: string, memberNames: readonly string[], caName = 'kite-dev-ca'): Promise<DevCertFiles> {
  mkdirSync(dir, { recursive: true });
  const ca = await makeCa(caName);
  const caFile = path.join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  const members = new Map<string, { certFile: string; keyFile: string }>();
  for (const name of memberNames) members.set(name, writePair(dir, name, await issueMemberCert(ca, name)));
  const client = writePair(dir, 'client', await issueCert(ca, { commonName: 'kite-client' }));
  return { dir, ca, caFile, members, clientCertFile: client.certFile, clientKeyFile: client.keyFile };
}
