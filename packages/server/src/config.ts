// Server configuration: command-line flags, KITE_* environment variables and a JSON config
// file, merged in that order of precedence (flag > env > file > default) and validated into
// one immutable ServerConfig. Every problem is reported at once with the offending source, so
// a member never starts half-configured. Member and cluster ids are derived here, from the
// name, the initial cluster and the cluster token, so that all members of a new cluster agree
// without talking to each other.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_REQUEST_BYTES, MAX_TXN_OPS, MAX_WATCHES_PER_CONNECTION } from '@kite/protocol';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type InitialClusterState = 'new' | 'existing';

export interface ClusterMemberSpec {
  readonly name: string;
  readonly peerUrl: string;
}

export interface ServerConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrl: URL;
  readonly listenPeerUrl: URL;
  readonly advertiseClientUrl: string;
  readonly advertisePeerUrl: string;
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
  readonly leaseReads: boolean;
  readonly quotaBytes: number;
  readonly maxRequestBytes: number;
  readonly maxWatchesPerConnection: number;
  readonly maxTxnOps: number;
  readonly requestTimeoutMs: number;
  readonly logLevel: LogLevel;
}

export class ConfigError extends Error {
  readonly code = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export const MiB = 1024 * 1024;

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
  { flag: 'initial-cluster', kind: 'string', help: 'name=peerURL,... (default: this member alone)' },
  { flag: 'initial-cluster-state', kind: 'string', help: 'new | existing (default new)' },
  { flag: 'cluster-token', kind: 'string', help: 'token that makes cluster and member ids unique (default kite-cluster)' },
  { flag: 'tick-ms', kind: 'int', help: 'milliseconds per Raft tick (default 100)' },
  { flag: 'election-ticks', kind: 'int', help: 'election timeout in ticks (default 10)' },
  { flag: 'heartbeat-ticks', kind: 'int', help: 'heartbeat interval in ticks (default 1)' },
  { flag: 'snapshot-entries', kind: 'int', help: 'applied entries that trigger a snapshot (default 10000)' },
  { flag: 'snapshot-catchup-entries', kind: 'int', help: 'log entries kept after a snapshot (default 5000)' },
  { flag: 'lease-reads', kind: 'bool', help: 'serve linearizable reads from the leader lease (default false)' },
  { flag: 'quota-bytes', kind: 'int', help: 'backend size that raises the NoSpace alarm (default 2 GiB)' },
  { flag: 'max-request-bytes', kind: 'int', help: 'largest client frame accepted (default 1.5 MiB)' },
  { flag: 'max-watches-per-connection', kind: 'int', help: 'watches one client link may hold (default 1024)' },
  { flag: 'max-txn-ops', kind: 'int', help: 'operations allowed in one txn (default 128)' },
  { flag: 'request-timeout-ms', kind: 'int', help: 'time a write or read may wait for Raft (default 7000)' },
  { flag: 'log-level', kind: 'string', help: 'trace|debug|info|warn|error|fatal|silent (default info)' },
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
  if (url.protocol !== 'http:' && url.protocol !== 'ws:') {
    problems.push(`${what}: "${raw}" must use http:// (TLS is not supported)`);
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

/** Origin form without a trailing slash, so equal URLs compare equal. */
export function normalizeUrl(url: URL): string {
  return `http://${url.host}`;
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
  const listenClientUrl = parseUrl(r.string('listen-client', 'http://127.0.0.1:2379'), 'listen-client', problems);
  const listenPeerUrl = parseUrl(r.string('listen-peer', 'http://127.0.0.1:2380'), 'listen-peer', problems);
  const advClientRaw = r.string('advertise-client', listenClientUrl?.href ?? 'http://127.0.0.1:2379');
  const advPeerRaw = r.string('advertise-peer', listenPeerUrl?.href ?? 'http://127.0.0.1:2380');
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
  const cfg: ServerConfig = {
    name,
    dataDir,
    listenClientUrl: listenClientUrl ?? new URL('http://127.0.0.1:2379'),
    listenPeerUrl: listenPeerUrl ?? new URL('http://127.0.0.1:2380'),
    advertiseClientUrl: advClient ? normalizeUrl(advClient) : '',
    advertisePeerUrl,
    initialCluster,
    initialClusterState: state as InitialClusterState,
    clusterToken: r.string('cluster-token', 'kite-cluster'),
    tickMs,
    electionTicks,
    heartbeatTicks,
    snapshotEntries,
    snapshotCatchupEntries,
    leaseReads: r.bool('lease-reads', false),
    quotaBytes: r.int('quota-bytes', 2 * 1024 * MiB, 1),
    maxRequestBytes: r.int('max-request-bytes', MAX_REQUEST_BYTES, 1024, 64 * MiB),
    maxWatchesPerConnection: r.int('max-watches-per-connection', MAX_WATCHES_PER_CONNECTION, 1),
    maxTxnOps: r.int('max-txn-ops', MAX_TXN_OPS, 1, 100_000),
    requestTimeoutMs: r.int('request-timeout-ms', 7000, 10),
    logLevel: logLevel as LogLevel,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return cfg;
}

/** Ids of the initial members, by name, for a new cluster. */
export function initialMemberIds(cfg: ServerConfig): Map<string, string> {
  return new Map(cfg.initialCluster.map((m) => [m.name, deriveMemberId(cfg.clusterToken, m.name)]));
}

/** etcd's minimum lease TTL: 1.5 x the election timeout, in whole seconds (applied by the leader). */
export function minLeaseTtlSeconds(cfg: ServerConfig): number {
  return Math.max(1, Math.ceil((1.5 * cfg.electionTicks * cfg.tickMs) / 1000));
}
