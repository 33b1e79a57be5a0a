// Server configuration: command-line flags, KITE_* environment variables and a JSON config
// file, merged in that order of precedence (flag > env > file > default) and validated into
// one immutable ServerConfig. Every problem is reported at once with the offending source, so
// a member never starts half-configured. Member and cluster ids are derived here, from the
// name, the initial cluster and the cluster token, so that all members of a new cluster agree
// without talking to each other.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDurationMs } from './duration.js';
import {
  CONNECTION_RESPONSE_BYTES_MAX,
  KEYS_SCANNED_MAX,
  REPLY_BYTES_MAX,
  REQUEST_BYTES_MAX,
  RESPONSE_BYTES_MAX,
  TXN_OPS_MAX,
  WATCHES_PER_CONNECTION_MAX,
} from '@kite/protocol';
import { VALUE_CACHE_BYTES_MAX } from '@kite/kvstore';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type InitialClusterState = 'new' | 'existing';

export interface ClusterMemberSpec {
  readonly name: string;
  readonly peerUrl: string;
}

/** One door's TLS files (etcd's --cert-file/--key-file/--trusted-ca-file/--client-cert-auth). */
export interface TlsFilesConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle that client (or peer) certificates must chain to; null: the system's CAs. */
  readonly trustedCaFile: string | null;
  /** Require and verify a certificate from whoever connects. */
  readonly clientCertAuth: boolean;
}

/**
 * Default of --max-raft-log-bytes. The entry count limits alone (--snapshot-entries,
 * --snapshot-catchup-entries) let 15 000 entries of up to a request's size (1.5 MiB) stay in
 * memory: gigabytes. Snapshots then come every 16 MiB of writes at the most, each one store
 * flush: cheap next to the writes.
 */
export const RAFT_LOG_BYTES_MAX = 32 * 1024 * 1024;

export interface ServerConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrl: URL;
  readonly listenPeerUrl: URL;
  readonly advertiseClientUrl: string;
  readonly advertisePeerUrl: string;
  /** The etcd v3 gRPC door (etcd/etcd-door.ts); null: off (--grpc-listen none). */
  readonly grpcListenUrl: URL | null;
  /** The door's URL published to the cluster (etcd clients' member list); null with the door off. */
  readonly advertiseGrpcUrl: string | null;
  readonly initialCluster: readonly ClusterMemberSpec[];
  readonly initialClusterState: InitialClusterState;
  readonly clusterToken: string;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Applied entries since the last snapshot that trigger a new state machine snapshot. */
  readonly snapshotEntries: number;
  /** Entries kept in the Raft log below a snapshot, so slow followers catch up from the log. */
  readonly snapshotCatchupEntries: number;
  /**
   * Payload bytes of Raft entries a member holds in memory, at most (besides entries not yet
   * applied): half for entries since the last snapshot (past it, a snapshot is taken whatever
   * --snapshot-entries says), half for the catch-up tail kept below a snapshot.
   */
  readonly raftLogBytesMax: number;
  /** Bytes of current values the store keeps in memory; the rest are read from LevelDB. */
  readonly valueCacheBytesMax: number;
  readonly leaseReads: boolean;
  readonly quotaBytes: number;
  readonly maxRequestBytes: number;
  readonly maxWatchesPerConnection: number;
  readonly maxTxnOps: number;
  /** Reply budget of one read (range, read-only txn, lease keys), charged while reading. */
  readonly maxResponseBytes: number;
  /** Index entries one read may visit. */
  readonly maxKeysScanned: number;
  /** Reply bytes one client connection may have in flight (being built plus buffered). */
  readonly maxConnectionResponseBytes: number;
  /** A client connection with no frame in either direction for this long is closed; 0 = never. */
  readonly clientIdleTimeoutMs: number;
  /** Open client connections from one remote address; more are refused at the upgrade. */
  readonly maxClientConnectionsPerAddress: number;
  readonly requestTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** TLS on the client port (WebSocket and HTTP); null: plaintext. */
  readonly clientTls: TlsFilesConfig | null;
  /** TLS on peer links (accepted and dialed) and the peer port's HTTP; null: plaintext. */
  readonly peerTls: TlsFilesConfig | null;
  /** The leader compacts history on its own (auto-compactor.ts); null: never (the default). */
  readonly autoCompaction: AutoCompactionConfig | null;
  /** The leader compares every member's store hash this often (corrupt-check.ts); 0: never. */
  readonly corruptCheckIntervalMs: number;
  /** Before serving, compare this member's store hash with its peers' and refuse to start on a mismatch. */
  readonly initialCorruptCheck: boolean;
  /** How login tokens are made (--auth-token). */
  readonly authToken: AuthTokenConfig;
  /** Seconds a login token stays valid (--auth-token-ttl). */
  readonly authTokenTtlSeconds: number;
  /** Audit records kept (--audit-retention): at most this many (0: no count limit)... */
  readonly auditRetentionCount: number;
  /** ...and none older than this (0: no age limit). */
  readonly auditRetentionMs: number;
}

/**
 * etcd's --auto-compaction-mode/--auto-compaction-retention: keep the history of the last
 * `retentionMs` (periodic) or the last `retentionRevisions` revisions (revision).
 */
export type AutoCompactionConfig =
  | { readonly mode: 'periodic'; readonly retentionMs: number }
  | { readonly mode: 'revision'; readonly retentionRevisions: number };

/** `simple`: random tokens in member memory; `jwt`: signed with a key file (etcd's --auth-token). */
export type AuthTokenConfig =
  | { readonly kind: 'simple' }
  | { readonly kind: 'jwt'; readonly privKeyFile: string; readonly pubKeyFile: string; readonly signMethod: string };

export class ConfigError extends Error {
  readonly code = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export const MiB = 1024 * 1024;
/** Default idle timeout: SDK clients send a heartbeat every 2 s, so only dead or raw links hit it. */
export const CLIENT_IDLE_TIMEOUT_MS = 300_000;
/** Default cap on client connections from one address (tests and benches open dozens). */
export const CLIENT_CONNECTIONS_PER_ADDRESS_MAX = 1000;

type Kind = 'string' | 'int' | 'bool';

interface OptionSpec {
  readonly flag: string; // kebab-case, without the leading dashes
  readonly kind: Kind;
  readonly help: string;
}

// The one table of options: flags, env names (KITE_ + upper snake) and config file keys
// (kebab or camelCase) all come from it.
const OPTIONS = [
  { flag: 'name', kind: 'string', help: 'human-readable member name (default "default")' },
  { flag: 'data-dir', kind: 'string', help: 'data directory (default ./kite-data)' },
  { flag: 'listen-client', kind: 'string', help: 'client URL to listen on (default http://127.0.0.1:2379)' },
  { flag: 'listen-peer', kind: 'string', help: 'peer URL to listen on (default http://127.0.0.1:2380)' },
  { flag: 'advertise-client', kind: 'string', help: 'client URL announced to others (default: listen-client)' },
  { flag: 'advertise-peer', kind: 'string', help: 'peer URL announced to others (default: listen-peer)' },
  { flag: 'grpc-listen', kind: 'string', help: 'URL of the etcd v3 gRPC door (etcdctl and etcd clients); none = off (default: listen-client\'s host and scheme, port + 10)' },
  { flag: 'advertise-grpc', kind: 'string', help: 'etcd door URL announced to others, listed by etcd\'s MemberList (default: grpc-listen)' },
  { flag: 'initial-cluster', kind: 'string', help: 'name=peerURL,... (default: this member alone)' },
  { flag: 'initial-cluster-state', kind: 'string', help: 'new | existing (default new)' },
  { flag: 'cluster-token', kind: 'string', help: 'token that makes cluster and member ids unique (default kite-cluster)' },
  { flag: 'tick-ms', kind: 'int', help: 'milliseconds per Raft tick (default 100)' },
  { flag: 'election-ticks', kind: 'int', help: 'election timeout in ticks (default 10)' },
  { flag: 'heartbeat-ticks', kind: 'int', help: 'heartbeat interval in ticks (default 1)' },
  { flag: 'snapshot-entries', kind: 'int', help: 'applied entries that trigger a snapshot (default 10000)' },
  { flag: 'snapshot-catchup-entries', kind: 'int', help: 'log entries kept after a snapshot (default 5000)' },
  { flag: 'max-raft-log-bytes', kind: 'int', help: 'payload bytes of Raft entries held in memory: half since the last snapshot (more triggers one), half of catch-up tail (default 32 MiB)' },
  { flag: 'value-cache-bytes', kind: 'int', help: 'bytes of current values kept in memory (reads of the others go to the store on disk; default 64 MiB)' },
  { flag: 'lease-reads', kind: 'bool', help: 'serve linearizable reads from the leader lease (default false)' },
  { flag: 'quota-bytes', kind: 'int', help: 'backend size that raises the NoSpace alarm (default 2 GiB)' },
  { flag: 'max-request-bytes', kind: 'int', help: 'largest client frame accepted (default 1.5 MiB)' },
  { flag: 'max-watches-per-connection', kind: 'int', help: 'watches one client link may hold (default 1024)' },
  { flag: 'max-txn-ops', kind: 'int', help: 'operations allowed in one txn (default 128)' },
  { flag: 'max-response-bytes', kind: 'int', help: 'reply budget of one read or read-only txn; past it: ResponseTooLarge, page instead (default 16 MiB)' },
  { flag: 'max-keys-scanned', kind: 'int', help: 'index entries one read or read-only txn may visit (default 4000000)' },
  { flag: 'max-connection-response-bytes', kind: 'int', help: 'reply bytes one client connection may have in flight (default 64 MiB)' },
  { flag: 'client-idle-timeout-ms', kind: 'int', help: 'close a client connection silent both ways this long; 0 = never (default 300000)' },
  { flag: 'max-client-connections-per-address', kind: 'int', help: 'client connections one remote address may hold (default 1000)' },
  { flag: 'request-timeout-ms', kind: 'int', help: 'time a write or read may wait for Raft (default 7000); without a leader for one election timeout a member answers Unavailable at once instead' },
  { flag: 'auth-token', kind: 'string', help: 'login tokens: simple (default; per member, in memory) or jwt,pub-key=FILE,priv-key=FILE,sign-method=RS256|ES256|EdDSA... (valid on every member with the same key)' },
  { flag: 'auth-token-ttl', kind: 'int', help: 'seconds a login token stays valid (default 300); the SDK logs in again when it expires' },
  { flag: 'audit-retention', kind: 'string', help: 'audit records kept: a count (100000), an age (7d, 12h, 30m) or both (100000,7d); the leader\'s setting applies (default 100000)' },
  { flag: 'log-level', kind: 'string', help: 'trace|debug|info|warn|error|fatal|silent (default info)' },
  { flag: 'cert-file', kind: 'string', help: 'client port TLS certificate (PEM; re-read when the file changes); needs https:// client URLs' },
  { flag: 'key-file', kind: 'string', help: 'client port TLS key (PEM)' },
  { flag: 'trusted-ca-file', kind: 'string', help: 'CA bundle client certificates must chain to' },
  { flag: 'client-cert-auth', kind: 'bool', help: 'require a client certificate from that CA on the client port (default false)' },
  { flag: 'peer-cert-file', kind: 'string', help: 'peer TLS certificate: its CN or a DNS SAN must equal this member\'s --name (peers check it); needs https:// peer URLs' },
  { flag: 'peer-key-file', kind: 'string', help: 'peer TLS key (PEM)' },
  { flag: 'peer-trusted-ca-file', kind: 'string', help: 'CA bundle peer certificates must chain to' },
  { flag: 'peer-client-cert-auth', kind: 'bool', help: 'require a peer certificate naming the member a link claims to be (default false; without it peers are not authenticated)' },
  { flag: 'auto-compaction-mode', kind: 'string', help: 'periodic | revision: how --auto-compaction-retention is read (default periodic)' },
  { flag: 'auto-compaction-retention', kind: 'string', help: 'history the leader keeps by compacting on its own: periodic: a duration (1h, 30m, 10s; a bare number is hours), revision: a count of revisions; 0 = no auto-compaction (default 0)' },
  { flag: 'corrupt-check-interval', kind: 'string', help: 'how often the leader compares every member\'s store hash at one revision and raises a CORRUPT alarm naming a member that differs (e.g. 5m, 30s); 0 = never (default 5m)' },
  { flag: 'initial-corrupt-check', kind: 'bool', help: 'before serving, compare this member\'s store hash with its peers\' and refuse to start (exit 3) on a mismatch (default true)' },
  { flag: 'config-file', kind: 'string', help: 'JSON file with any of these options' },
] as const satisfies readonly OptionSpec[];

type Flag = (typeof OPTIONS)[number]['flag'];
type RawValue = string | number | boolean;
interface Sourced {
  readonly value: RawValue;
  readonly source: string;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
const FLAG_BY_NAME = new Map<string, OptionSpec>(OPTIONS.map((o) => [o.flag, o]));
const envName = (flag: string): string => `KITE_${flag.toUpperCase().replaceAll('-', '_')}`;
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

export function usage(): string {
  const lines = OPTIONS.map((o) => {
    const arg = o.kind === 'bool' ? '' : o.kind === 'int' ? ' <n>' : ' <value>';
    return `  --${(o.flag + arg).padEnd(34)} ${o.help}  [${envName(o.flag)}]`;
  });
  return 'Usage: kite server [options]\n\n' +
    'Run one Kite member: it serves clients on --listen-client and its peers on --listen-peer, and keeps\n' +
    'its Raft log and key-value data in --data-dir. With no options it starts a single-member cluster\n' +
    'in ./kite-data. Each option can also come from the environment variable shown after it (the\n' +
    'flag wins). For a local 3-member cluster, use `kite cluster up` instead.\n\n' +
    `Options:\n${lines.join('\n')}\n  --help`;
}

export class HelpRequested extends Error {
  readonly code = 'HelpRequested';
}

/** Reads argv into raw flag values; unknown flags and missing values are problems. */
function parseArgv(argv: readonly string[], problems: string[]): Map<Flag, Sourced> {
  const out = new Map<Flag, Sourced>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') throw new HelpRequested(usage());
    if (!arg.startsWith('--')) {
      problems.push(`unexpected argument "${arg}" (options start with --)`);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const spec = FLAG_BY_NAME.get(name);
    if (spec === undefined) {
      problems.push(`unknown flag --${name}`);
      continue;
    }
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : undefined;
    if (value === undefined) {
      const next = argv[i + 1];
      if (spec.kind === 'bool' && (next === undefined || !/^(true|false)$/.test(next))) {
        value = 'true';
      } else if (next === undefined || (next.startsWith('--') && spec.kind !== 'string')) {
        problems.push(`flag --${name} needs a value`);
        continue;
      } else {
        value = next;
        i++;
      }
    }
    out.set(spec.flag as Flag, { value, source: `flag --${name}` });
  }
  return out;
}

function readEnv(env: NodeJS.ProcessEnv): Map<Flag, Sourced> {
  const out = new Map<Flag, Sourced>();
  for (const o of OPTIONS) {
    const v = env[envName(o.flag)];
    if (v !== undefined && v !== '') out.set(o.flag, { value: v, source: `env ${envName(o.flag)}` });
  }
  return out;
}

function readConfigFile(file: string, problems: string[]): Map<Flag, Sourced> {
  const out = new Map<Flag, Sourced>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`config file ${file}: ${(err as Error).message}`);
    return out;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`config file ${file}: expected a JSON object`);
    return out;
  }
  const byKey = new Map<string, OptionSpec>();
  for (const o of OPTIONS) {
    byKey.set(o.flag, o);
    byKey.set(camel(o.flag), o);
  }
  for (const [key, value] of Object.entries(parsed)) {
    const spec = byKey.get(key);
    if (spec === undefined || spec.flag === 'config-file') {
      problems.push(`config file ${file}: unknown key "${key}"`);
    } else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push(`config file ${file}: "${key}" must be a string, number or boolean`);
    } else {
      out.set(spec.flag as Flag, { value, source: `config file key "${key}"` });
    }
  }
  return out;
}

class Resolver {
  constructor(
    private readonly layers: readonly Map<Flag, Sourced>[],
    private readonly problems: string[],
  ) {}

  private find(flag: Flag): Sourced | undefined {
    for (const layer of this.layers) {
      const v = layer.get(flag);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  string(flag: Flag, fallback: string): string {
    const v = this.find(flag);
    if (v === undefined) return fallback;
    if (typeof v.value !== 'string' || v.value === '') {
      this.problems.push(`${v.source}: expected a non-empty string`);
      return fallback;
    }
    return v.value;
  }

  int(flag: Flag, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.find(flag);
    if (v === undefined) return fallback;
    const n = typeof v.value === 'number' ? v.value : typeof v.value === 'string' && /^\d+$/.test(v.value.trim()) ? Number(v.value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${v.source}: expected an integer in [${min}, ${max}], got ${JSON.stringify(v.value)}`);
      return fallback;
    }
    return n;
  }

  bool(flag: Flag, fallback: boolean): boolean {
    const v = this.find(flag);
    if (v === undefined) return fallback;
    if (typeof v.value === 'boolean') return v.value;
    if (v.value === 'true' || v.value === '1') return true;
    if (v.value === 'false' || v.value === '0') return false;
    this.problems.push(`${v.source}: expected true or false, got ${JSON.stringify(v.value)}`);
    return fallback;
  }
}

function parseUrl(raw: string, what: string, problems: string[]): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${what}: "${raw}" is not a URL (expected http://host:port)`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'ws:' && url.protocol !== 'https:' && url.protocol !== 'wss:') {
    problems.push(`${what}: "${raw}" must use http:// or https://`);
    return undefined;
  }
  if (url.port === '') {
    problems.push(`${what}: "${raw}" needs an explicit port`);
    return undefined;
  }
  return url;
}

/** "n1=http://a:2380,n2=http://b:2380" → specs; names and URLs must be unique. */
export function parseInitialCluster(raw: string, problems: string[]): ClusterMemberSpec[] {
  const out: ClusterMemberSpec[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      problems.push(`initial-cluster: "${part}" is not name=peerURL`);
      continue;
    }
    const name = part.slice(0, eq);
    const url = parseUrl(part.slice(eq + 1), `initial-cluster member ${name}`, problems);
    if (url === undefined) continue;
    if (out.some((m) => m.name === name)) problems.push(`initial-cluster: name "${name}" appears twice`);
    const peerUrl = normalizeUrl(url);
    if (out.some((m) => m.peerUrl === peerUrl)) problems.push(`initial-cluster: URL ${peerUrl} appears twice`);
    out.push({ name, peerUrl });
  }
  if (out.length === 0) problems.push('initial-cluster: no members');
  return out;
}

/** Origin form without a trailing slash, so equal URLs compare equal (ws → http, wss → https). */
export function normalizeUrl(url: URL): string {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return `${secure ? 'https' : 'http'}://${url.host}`;
}

const isSecureUrl = (url: string): boolean => /^(https|wss):/.test(url);

/**
 * A door's TLS files, all or nothing, resolved against cwd; the door's URLs must use https://
 * exactly when it has a certificate, so a member never listens in clear text where its peers
 * or clients expect TLS (or the reverse) and fails later with a confusing handshake error.
 */
function resolveTls(
  r: Resolver,
  cwd: string,
  flags: { cert: Flag; key: Flag; ca: Flag; auth: Flag },
  urls: readonly (readonly [string, string])[],
  problems: string[],
): TlsFilesConfig | null {
  urls = urls.filter(([, url]) => url !== ''); // unparsable URLs are reported already
  const cert = r.string(flags.cert, '');
  const key = r.string(flags.key, '');
  const ca = r.string(flags.ca, '');
  const auth = r.bool(flags.auth, false);
  if (cert === '' && key === '') {
    if (ca !== '' || auth) problems.push(`--${flags.ca} and --${flags.auth} need --${flags.cert} and --${flags.key}`);
    for (const [what, url] of urls) if (isSecureUrl(url)) problems.push(`${what} ${url} is https:// but --${flags.cert} and --${flags.key} are not set`);
    return null;
  }
  if (cert === '' || key === '') {
    problems.push(`--${flags.cert} and --${flags.key} go together`);
    return null;
  }
  if (auth && ca === '') problems.push(`--${flags.auth} needs --${flags.ca} (the CA that signs the certificates to accept)`);
  for (const [what, url] of urls) if (!isSecureUrl(url)) problems.push(`${what} ${url} must be https:// when --${flags.cert} is set`);
  const files = { certFile: path.resolve(cwd, cert), keyFile: path.resolve(cwd, key), trustedCaFile: ca === '' ? null : path.resolve(cwd, ca) };
  for (const [flag, file] of [[flags.cert, files.certFile], [flags.key, files.keyFile], [flags.ca, files.trustedCaFile]] as const) {
    if (file === null) continue;
    try {
      readFileSync(file);
    } catch (err) {
      problems.push(`--${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return { ...files, clientCertAuth: auth };
}

function hashHex(...parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/**
 * A new cluster's member id: the same on every member (all know the names and the token).
 * Peer URLs are left out on purpose, so members may reach each other through different
 * addresses (proxies, NAT); distinct clusters need distinct --cluster-token values.
 */
export function deriveMemberId(token: string, name: string): string {
  return hashHex('member', token, name);
}

export function deriveClusterId(token: string, memberIds: readonly string[]): string {
  return hashHex('cluster', token, ...[...memberIds].sort());
}

/** Parses and validates; throws ConfigError (all problems) or HelpRequested. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerConfig {
  const problems: string[] = [];
  const flags = parseArgv(argv, problems);
  const environment = readEnv(env);
  const fileEntry = flags.get('config-file') ?? environment.get('config-file');
  const file =
    fileEntry !== undefined && typeof fileEntry.value === 'string'
      ? readConfigFile(path.resolve(cwd, fileEntry.value), problems)
      : new Map<Flag, Sourced>();
  const r = new Resolver([flags, environment, file], problems);

  const name = r.string('name', 'default');
  if (!/^[A-Za-z0-9._-]+$/.test(name)) problems.push(`name "${name}" may only hold letters, digits, ".", "_" and "-"`);
  const dataDir = path.resolve(cwd, r.string('data-dir', 'kite-data'));
  // Default URLs follow the TLS flags, so `--cert-file c --key-file k` alone serves https.
  const clientScheme = r.string('cert-file', '') === '' ? 'http' : 'https';
  const peerScheme = r.string('peer-cert-file', '') === '' ? 'http' : 'https';
  const listenClientUrl = parseUrl(r.string('listen-client', `${clientScheme}://127.0.0.1:2379`), 'listen-client', problems);
  const listenPeerUrl = parseUrl(r.string('listen-peer', `${peerScheme}://127.0.0.1:2380`), 'listen-peer', problems);
  const advClientRaw = r.string('advertise-client', listenClientUrl?.href ?? `${clientScheme}://127.0.0.1:2379`);
  const advPeerRaw = r.string('advertise-peer', listenPeerUrl?.href ?? `${peerScheme}://127.0.0.1:2380`);
  const advClient = parseUrl(advClientRaw, 'advertise-client', problems);
  const advPeer = parseUrl(advPeerRaw, 'advertise-peer', problems);
  const advertisePeerUrl = advPeer ? normalizeUrl(advPeer) : '';
  const initialCluster = parseInitialCluster(r.string('initial-cluster', `${name}=${advertisePeerUrl || advPeerRaw}`), problems);
  const self = initialCluster.find((m) => m.name === name);
  if (self === undefined) {
    problems.push(`initial-cluster does not name this member "${name}"`);
  } else if (advPeer && self.peerUrl !== advertisePeerUrl) {
    problems.push(`initial-cluster gives ${name}=${self.peerUrl} but its advertised peer URL is ${advertisePeerUrl}`);
  }
  const state = r.string('initial-cluster-state', 'new');
  if (state !== 'new' && state !== 'existing') problems.push(`initial-cluster-state must be "new" or "existing", got "${state}"`);
  const logLevel = r.string('log-level', 'info');
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) problems.push(`log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const tickMs = r.int('tick-ms', 100, 1, 60_000);
  const electionTicks = r.int('election-ticks', 10, 2, 10_000);
  const heartbeatTicks = r.int('heartbeat-ticks', 1, 1, 10_000);
  if (heartbeatTicks >= electionTicks) problems.push(`heartbeat-ticks (${heartbeatTicks}) must be less than election-ticks (${electionTicks})`);
  const snapshotEntries = r.int('snapshot-entries', 10_000, 1);
  const snapshotCatchupEntries = r.int('snapshot-catchup-entries', 5_000, 0);
  const raftLogBytesMax = r.int('max-raft-log-bytes', RAFT_LOG_BYTES_MAX, 2);
  const valueCacheBytesMax = r.int('value-cache-bytes', VALUE_CACHE_BYTES_MAX, 0);
  const grpcListenUrl = resolveGrpcListen(r, listenClientUrl, problems);
  if (grpcListenUrl != null && listenPeerUrl !== undefined && grpcListenUrl.host === listenPeerUrl.host) {
    problems.push(`grpc-listen ${grpcListenUrl.href} is the peer port (listen-peer); set --grpc-listen to a free port or none`);
  }
  const clientTls = resolveTls(r, cwd, { cert: 'cert-file', key: 'key-file', ca: 'trusted-ca-file', auth: 'client-cert-auth' }, [
    ['listen-client', listenClientUrl?.href ?? ''],
    ['advertise-client', advClient?.href ?? ''],
    ['grpc-listen', grpcListenUrl?.href ?? ''],
  ], problems);
  const peerTls = resolveTls(r, cwd, { cert: 'peer-cert-file', key: 'peer-key-file', ca: 'peer-trusted-ca-file', auth: 'peer-client-cert-auth' }, [
    ['listen-peer', listenPeerUrl?.href ?? ''],
    ['advertise-peer', advPeer?.href ?? ''],
    ...initialCluster.map((m) => [`initial-cluster member ${m.name}`, m.peerUrl] as const),
  ], problems);
  const cfg: ServerConfig = {
    name,
    dataDir,
    listenClientUrl: listenClientUrl ?? new URL('http://127.0.0.1:2379'),
    listenPeerUrl: listenPeerUrl ?? new URL('http://127.0.0.1:2380'),
    advertiseClientUrl: advClient ? normalizeUrl(advClient) : '',
    advertisePeerUrl,
    grpcListenUrl: grpcListenUrl ?? null,
    advertiseGrpcUrl: resolveAdvertiseGrpc(r, grpcListenUrl ?? null, problems),
    initialCluster,
    initialClusterState: state as InitialClusterState,
    clusterToken: r.string('cluster-token', 'kite-cluster'),
    tickMs,
    electionTicks,
    heartbeatTicks,
    snapshotEntries,
    snapshotCatchupEntries,
    raftLogBytesMax,
    valueCacheBytesMax,
    leaseReads: r.bool('lease-reads', false),
    quotaBytes: r.int('quota-bytes', 2 * 1024 * MiB, 1),
    maxRequestBytes: r.int('max-request-bytes', REQUEST_BYTES_MAX, 1024, 64 * MiB),
    maxWatchesPerConnection: r.int('max-watches-per-connection', WATCHES_PER_CONNECTION_MAX, 1),
    maxTxnOps: r.int('max-txn-ops', TXN_OPS_MAX, 1, 100_000),
    // Half the client's frame limit: the reply's estimate may be off, the frame must still fit.
    maxResponseBytes: r.int('max-response-bytes', RESPONSE_BYTES_MAX, 1024, REPLY_BYTES_MAX / 2),
    maxKeysScanned: r.int('max-keys-scanned', KEYS_SCANNED_MAX, 1),
    maxConnectionResponseBytes: r.int('max-connection-response-bytes', CONNECTION_RESPONSE_BYTES_MAX, 1024),
    clientIdleTimeoutMs: r.int('client-idle-timeout-ms', CLIENT_IDLE_TIMEOUT_MS, 0),
    maxClientConnectionsPerAddress: r.int('max-client-connections-per-address', CLIENT_CONNECTIONS_PER_ADDRESS_MAX, 1),
    requestTimeoutMs: r.int('request-timeout-ms', 7000, 10),
    logLevel: logLevel as LogLevel,
    clientTls,
    peerTls,
    autoCompaction: resolveAutoCompaction(r, problems),
    corruptCheckIntervalMs: resolveCorruptCheckInterval(r, problems),
    initialCorruptCheck: r.bool('initial-corrupt-check', true),
    authToken: parseAuthToken(r.string('auth-token', 'simple'), cwd, problems),
    authTokenTtlSeconds: r.int('auth-token-ttl', 300, 1, 7 * 24 * 3600),
    ...parseAuditRetention(r.string('audit-retention', '100000'), problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** The etcd door sits this many ports above the client port unless --grpc-listen says otherwise. */
export const GRPC_PORT_OFFSET = 10;

/** --grpc-listen: a URL, `none`, or by default the client URL with its port + GRPC_PORT_OFFSET. */
function resolveGrpcListen(r: Resolver, listenClientUrl: URL | undefined, problems: string[]): URL | null | undefined {
  const fallback = listenClientUrl === undefined ? '' : defaultGrpcUrl(listenClientUrl, problems);
  const raw = r.string('grpc-listen', fallback);
  if (raw === 'none') return null;
  if (raw === '') return undefined;
  const url = parseUrl(raw, 'grpc-listen', problems);
  if (url !== undefined && listenClientUrl !== undefined && url.host === listenClientUrl.host) {
    problems.push(`grpc-listen ${url.href} is the client port itself; give the etcd door its own port`);
  }
  return url;
}

function resolveAdvertiseGrpc(r: Resolver, listen: URL | null, problems: string[]): string | null {
  if (listen === null) return null;
  const url = parseUrl(r.string('advertise-grpc', listen.href), 'advertise-grpc', problems);
  return url === undefined ? null : normalizeUrl(url);
}

function defaultGrpcUrl(client: URL, problems: string[]): string {
  const port = Number(client.port) + GRPC_PORT_OFFSET;
  if (port > 65535) {
    problems.push(`grpc-listen: the default (client port ${client.port} + ${GRPC_PORT_OFFSET}) is past 65535; set --grpc-listen or none`);
    return '';
  }
  const scheme = client.protocol === 'https:' || client.protocol === 'wss:' ? 'https' : 'http';
  return `${scheme}://${client.host.replace(/:\d+$/, '')}:${port}`;
}

/** Default --corrupt-check-interval: a full-store hash on every member is not free. */
export const CORRUPT_CHECK_INTERVAL_MS_DEFAULT = 5 * 60_000;
/** Shorter check intervals are refused: each check hashes the whole store on every member. */
const CORRUPT_CHECK_INTERVAL_MS_MIN = 10;

function resolveAutoCompaction(r: Resolver, problems: string[]): AutoCompactionConfig | null {
  const mode = r.string('auto-compaction-mode', 'periodic');
  const raw = r.string('auto-compaction-retention', '0');
  if (mode === 'revision') {
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
      problems.push(`auto-compaction-retention: "${raw}" is not a number of revisions (--auto-compaction-mode revision)`);
      return null;
    }
    const retentionRevisions = Number(raw);
    return retentionRevisions === 0 ? null : { mode, retentionRevisions };
  }
  if (mode !== 'periodic') {
    problems.push(`auto-compaction-mode must be "periodic" or "revision", got "${mode}"`);
    return null;
  }
  const retentionMs = parseDurationMs(raw, 'h');
  if (retentionMs === null) {
    problems.push(`auto-compaction-retention: "${raw}" is not a duration (e.g. 1h, 30m, 10s, 500ms; a bare number is hours)`);
    return null;
  }
  return retentionMs === 0 ? null : { mode, retentionMs };
}

function resolveCorruptCheckInterval(r: Resolver, problems: string[]): number {
  const raw = r.string('corrupt-check-interval', '5m');
  // A bare number would be ambiguous (etcd's durations always carry a unit): only 0 is taken.
  const ms = /^\d+$/.test(raw.trim()) && Number(raw) !== 0 ? null : parseDurationMs(raw, 'ms');
  if (ms === null || (ms !== 0 && ms < CORRUPT_CHECK_INTERVAL_MS_MIN)) {
    problems.push(`corrupt-check-interval: "${raw}" is not a duration of at least ${CORRUPT_CHECK_INTERVAL_MS_MIN}ms (e.g. 5m, 30s) or 0`);
    return CORRUPT_CHECK_INTERVAL_MS_DEFAULT;
  }
  return ms;
}

const AGE_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--audit-retention`: a count, an age with a unit, or `count,age`. */
function parseAuditRetention(spec: string, problems: string[]): { auditRetentionCount: number; auditRetentionMs: number } {
  let count = 0;
  let ageMs = 0;
  for (const part of spec.split(',').map((x) => x.trim())) {
    const m = /^(\d+)([smhd])?$/.exec(part);
    if (m === null) {
      problems.push(`--audit-retention: expected a count (100000), an age (7d) or both (100000,7d), got ${JSON.stringify(spec.slice(0, 40))}`);
      return { auditRetentionCount: 100_000, auditRetentionMs: 0 };
    }
    if (m[2] === undefined) count = Number(m[1]);
    else ageMs = Number(m[1]) * (AGE_UNITS_MS[m[2]] ?? 0);
  }
  return { auditRetentionCount: count, auditRetentionMs: ageMs };
}

/** `simple` or `jwt,pub-key=F,priv-key=F,sign-method=M` (etcd's syntax); files resolved against cwd. */
function parseAuthToken(spec: string, cwd: string, problems: string[]): AuthTokenConfig {
  const [kind, ...opts] = spec.split(',').map((x) => x.trim());
  if (kind === 'simple' && opts.length === 0) return { kind: 'simple' };
  if (kind !== 'jwt') {
    problems.push(`--auth-token: expected simple or jwt,pub-key=FILE,priv-key=FILE,sign-method=ALG, got ${JSON.stringify(spec.slice(0, 80))}`);
    return { kind: 'simple' };
  }
  const kv = new Map(opts.map((o) => [o.slice(0, Math.max(0, o.indexOf('='))), o.slice(o.indexOf('=') + 1)] as const));
  const pub = kv.get('pub-key') ?? '';
  const priv = kv.get('priv-key') ?? '';
  if (pub === '' || priv === '') problems.push('--auth-token jwt needs pub-key=FILE and priv-key=FILE');
  return { kind: 'jwt', pubKeyFile: path.resolve(cwd, pub), privKeyFile: path.resolve(cwd, priv), signMethod: kv.get('sign-method') ?? 'RS256' };
}

/** Ids of the initial members, by name, for a new cluster. */
export function initialMemberIds(cfg: Pick<ServerConfig, 'initialCluster' | 'clusterToken'>): Map<string, string> {
  return new Map(cfg.initialCluster.map((m) => [m.name, deriveMemberId(cfg.clusterToken, m.name)]));
}

/** etcd's minimum lease TTL: 1.5 x the election timeout, in whole seconds (applied by the leader). */
export function minLeaseTtlSeconds(cfg: ServerConfig): number {
  return Math.max(1, Math.ceil((1.5 * cfg.electionTicks * cfg.tickMs) / 1000));
}
