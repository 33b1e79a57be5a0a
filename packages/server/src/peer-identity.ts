// Binds a peer link to the member it claims to be: with peer TLS, the certificate the other
// side presented must name that member. Member ids are public (every reply header carries
// them), so the hello's claim alone proves nothing; a certificate signed by the cluster's CA
// that names the member does.
//
// The rule (also in `kite server --help` under --peer-cert-file): the certificate's subject CN
// or one of its DNS subject alternative names equals the member's name (--name). A member
// added with `kite member add` has no name in the registry until it publishes one; until then
// its certificate must instead cover the host of its registered peer URL (the usual RFC 6125
// hostname check), as etcd checks peers by hostname. Names are compared exactly.

import { checkServerIdentity, type PeerCertificate } from 'node:tls';

export interface ClaimedMember {
  readonly name: string;
  readonly peerUrl: string;
}

/** Null when `cert` names `member`; otherwise why not (for the log and the close reason). */
export function certificateProblem(cert: PeerCertificate | null | undefined, member: ClaimedMember): string | null {
  if (cert === null || cert === undefined || Object.keys(cert).length === 0) return 'no certificate presented';
  if (member.name !== '') {
    const names = certificateNames(cert);
    if (names.includes(member.name)) return null;
    return `certificate names ${JSON.stringify(names.slice(0, 8))}, not member "${member.name}"`;
  }
  let host: string;
  try {
    host = new URL(member.peerUrl).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return `member has no usable peer URL (${member.peerUrl.slice(0, 80)})`;
  }
  const err = checkServerIdentity(host, cert);
  return err === undefined ? null : `certificate does not cover the member's peer host: ${err.message}`;
}

/** The subject CN and the DNS names of the subject alternative names. */
export function certificateNames(cert: PeerCertificate): string[] {
  const out: string[] = [];
  const cn = cert.subject?.CN;
  if (typeof cn === 'string') out.push(cn);
  else if (Array.isArray(cn)) out.push(...(cn as string[]));
  for (const part of (cert.subjectaltname ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m?.[1] !== undefined) out.push(m[1].trim());
  }
  return out;
}
