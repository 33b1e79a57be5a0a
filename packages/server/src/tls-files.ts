// One door's TLS material (certificate, key, trusted CA) read from files and re-read when a
// file changes, so certificates rotate without a restart: the listener swaps its secure
// context (new connections get the new certificate, open ones keep theirs) and links this
// member dials read the current material each time.
//
// Invariants: a change is taken only when the new files form a usable context (a key that
// matches the certificate, parsable PEM); a half-written or broken set is logged and the last
// good material stays in force. Files are polled (fs.watchFile) every TLS_FILES_POLL_MS:
// inotify events are lost on editors' rename-over and on some mounts, stat polling is not.

import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError, type TlsFilesConfig } from './config.js';
import type { Logger } from './logger.js';

/** How often the certificate, key and CA files are checked for changes. */
export const TLS_FILES_POLL_MS = 1_000;
/** etcd's floor too: TLS 1.0 and 1.1 are refused on every door. */
export const TLS_MIN_VERSION = 'TLSv1.2';

export interface TlsPem {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Undefined: Node's default (system) CAs. */
  readonly ca: Buffer | undefined;
}

export class TlsFiles {
  private current: TlsPem;
  private readonly listeners: ((pem: TlsPem) => void)[] = [];
  private watching = false;

  /** Reads the files now; throws a ConfigError (the member does not start) when they do not load. */
  constructor(
    readonly config: TlsFilesConfig,
    private readonly log: Logger,
  ) {
    try {
      this.current = this.read();
    } catch (err) {
      const c = config;
      throw new ConfigError([`TLS files ${c.certFile}, ${c.keyFile}${c.trustedCaFile === null ? '' : `, ${c.trustedCaFile}`} do not load: ${(err as Error).message}`]);
    }
  }

  get pem(): TlsPem {
    return this.current;
  }

  /** Calls `listener` with the new material after each accepted change. */
  onChange(listener: (pem: TlsPem) => void): void {
    this.listeners.push(listener);
    this.watch();
  }

  close(): void {
    if (!this.watching) return;
    this.watching = false;
    for (const file of this.files()) unwatchFile(file, this.onStat);
  }

  private files(): string[] {
    const c = this.config;
    return c.trustedCaFile === null ? [c.certFile, c.keyFile] : [c.certFile, c.keyFile, c.trustedCaFile];
  }

  private watch(): void {
    if (this.watching) return;
    this.watching = true;
    for (const file of this.files()) watchFile(file, { interval: TLS_FILES_POLL_MS, persistent: false }, this.onStat);
  }

  private readonly onStat = (now: Stats, before: Stats): void => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    let next: TlsPem;
    try {
      next = this.read();
    } catch (err) {
      this.log.warn({ cert: this.config.certFile, err: (err as Error).message }, 'TLS files changed but do not load; keeping the previous certificate');
      return;
    }
    if (next.cert.equals(this.current.cert) && next.key.equals(this.current.key) && sameCa(next.ca, this.current.ca)) return;
    this.current = next;
    this.log.info({ cert: this.config.certFile }, 'TLS certificate reloaded; new connections use it');
    for (const l of this.listeners) l(next);
  };

  private read(): TlsPem {
    const c = this.config;
    const pem: TlsPem = { cert: readFileSync(c.certFile), key: readFileSync(c.keyFile), ca: c.trustedCaFile === null ? undefined : readFileSync(c.trustedCaFile) };
    // Throws on unparsable PEM or a key that does not match the certificate.
    createSecureContext({ ...pem, minVersion: TLS_MIN_VERSION });
    return pem;
  }
}

function sameCa(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}
