// The client port's TLS files as grpc-js's certificate provider, so the etcd door serves a
// rotated certificate (and trusts a rotated CA) on new connections without a restart, exactly
// as the client port does: TlsFiles re-reads the files and only ever hands over a usable set.
// One object provides both the identity (certificate and key) and the CA.

import { experimental, ServerCredentials } from '@grpc/grpc-js';
import type { TlsFiles, TlsPem } from '../tls-files.js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

class TlsFilesProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  constructor(private readonly files: TlsFiles) {
    files.onChange((pem) => this.publish(pem));
  }

  // The first update is handed over on the next turn: grpc-js registers its own watcher only
  // after adding these listeners, and would miss an update given synchronously.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    setImmediate(() => {
      if (this.caListeners.has(listener)) listener(caUpdate(this.files.pem));
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    setImmediate(() => {
      if (this.identityListeners.has(listener)) listener({ certificate: this.files.pem.cert, privateKey: this.files.pem.key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }

  private publish(pem: TlsPem): void {
    for (const l of this.caListeners) l(caUpdate(pem));
    for (const l of this.identityListeners) l({ certificate: pem.cert, privateKey: pem.key });
  }
}

function caUpdate(pem: TlsPem): experimental.CaCertificateUpdate | null {
  return pem.ca === undefined ? null : { caCertificate: pem.ca };
}

/** Server credentials following `files`; client certificates required when the client port requires them. */
export function tlsServerCredentials(files: TlsFiles): ServerCredentials {
  const provider = new TlsFilesProvider(files);
  // Without a trusted CA file Node's default CAs apply (no CA provider).
  const ca = files.config.trustedCaFile === null ? null : provider;
  // grpc-js passes its two provider arguments on in the other order; one provider for both
  // roles (and null only for the CA) makes the order irrelevant.
  return experimental.createCertificateProviderServerCredentials(provider, ca, files.config.clientCertAuth);
}
