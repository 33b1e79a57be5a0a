// etcdctl (Debian's etcd-client package, v3 API) against a Kite cluster's etcd doors: the one
// helper every etcd-door test runs it through. The package is installed on first use when
// missing (CI runs as root on a fresh Debian machine); where that is impossible the test fails
// with the reason, it is not skipped. Every run is bounded (a timeout kills it, by pid), and a
// long-running command (watch) is a child the test stops by pid.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { installDebianPackage } from '../../../jepsen-lite/src/cluster/debian-package.js';

/** One etcdctl command, unless the test says otherwise. */
const ETCDCTL_TIMEOUT_MS = 30_000;
/** Output kept from a long-running etcdctl (a watch across a leader change prints a lot). */
const STREAM_OUTPUT_BYTES_MAX = 64 * 1024 * 1024;

const ETCDCTL = '/usr/bin/etcdctl';

/** The etcdctl binary, installing the `etcd-client` package when it is missing. */
export function ensureEtcdctl(): string {
  if (existsSync(ETCDCTL)) return ETCDCTL;
  installDebianPackage('etcd-client');
  if (!existsSync(ETCDCTL)) throw new Error('the etcd-client package is installed but /usr/bin/etcdctl was not found');
  return ETCDCTL;
}

export interface EtcdctlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface EtcdctlOptions {
  readonly timeoutMs?: number;
  /** Written to etcdctl's stdin (txn -i), then closed. */
  readonly input?: string;
  /** TLS files (a TLS cluster): --cacert, --cert, --key. */
  readonly tls?: { readonly caFile: string; readonly certFile: string; readonly keyFile: string };
}

function argv(endpoints: readonly string[], args: readonly string[], opts: EtcdctlOptions): string[] {
  const tls = opts.tls === undefined ? [] : [`--cacert=${opts.tls.caFile}`, `--cert=${opts.tls.certFile}`, `--key=${opts.tls.keyFile}`];
  return [`--endpoints=${endpoints.join(',')}`, '--dial-timeout=5s', '--command-timeout=10s', ...tls, ...args];
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, ETCDCTL_API: '3' });

/** Runs one etcdctl command to its end (bounded: killed by pid after timeoutMs). */
export function etcdctl(endpoints: readonly string[], args: readonly string[], opts: EtcdctlOptions = {}): Promise<EtcdctlResult> {
  const bin = ensureEtcdctl();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, argv(endpoints, args, opts), { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timeoutMs = opts.timeoutMs ?? ETCDCTL_TIMEOUT_MS;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // An etcdctl that exits before reading its stdin (most commands) closes the pipe: EPIPE, not a failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Like etcdctl(), but the command must succeed; its stdout. */
export async function etcdctlOk(endpoints: readonly string[], args: readonly string[], opts: EtcdctlOptions = {}): Promise<string> {
  const r = await etcdctl(endpoints, args, opts);
  if (r.code !== 0) throw new Error(`etcdctl ${args.join(' ')} exited ${String(r.code)}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Parses etcdctl's `-w json` output. etcdctl prints uint64 ids and int64 revisions as JSON
 * numbers; ids do not fit a double, so every integer of 16 digits or more becomes a string.
 */
export function parseEtcdJson<T = Record<string, unknown>>(text: string): T {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"')) as T;
}

/** A long-running etcdctl (watch): its output so far, and stop() by pid. */
export class EtcdctlProcess {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  readonly exited: Promise<number | null>;

  constructor(endpoints: readonly string[], args: readonly string[], opts: EtcdctlOptions = {}) {
    this.child = spawn(ensureEtcdctl(), argv(endpoints, args, opts), { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (c: Buffer) => {
      if (this.out.length < STREAM_OUTPUT_BYTES_MAX) this.out += c.toString('utf8');
    });
    this.child.stderr?.on('data', (c: Buffer) => {
      if (this.err.length < STREAM_OUTPUT_BYTES_MAX) this.err += c.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Kills the process (by pid) and waits for it. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}
