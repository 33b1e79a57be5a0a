// The shape of a local cluster: member names, ports and directories, derived from (nodes,
// base port, data dir, TLS or not) and saved in DATA_DIR/cluster.json on first start so that a
// second `kite cluster up` reuses the same members and data. Ports: member i (0-based) serves
// clients on basePort+i, etcd gRPC clients (etcdctl) on basePort+GRPC_PORT_OFFSET+i and peers
// on basePort+PEER_PORT_OFFSET+i, all on 127.0.0.1. A TLS
// cluster keeps its throw-away CA and certificates in DATA_DIR/tls (see tls-files.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, UsageError } from '../errors.js';

export const PEER_PORT_OFFSET = 100;
/** The etcd v3 gRPC door of member i listens on basePort+GRPC_PORT_OFFSET+i (the server's default offset too). */
export const GRPC_PORT_OFFSET = 10;
export const NODES_MAX = 9;
export const DEFAULT_BASE_PORT = 2379;
export const DEFAULT_NODES = 3;
export const LAYOUT_FILE = 'cluster.json';
export const PID_FILE = 'cluster.pid';
export const TLS_DIR = 'tls';

export interface MemberPlan {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly grpcPort: number;
  readonly clientUrl: string;
  /** The etcd door, as etcdctl's --endpoints takes it. */
  readonly grpcUrl: string;
  readonly peerUrl: string;
  readonly endpoint: string;
  readonly dataDir: string;
  readonly logFile: string;
}

/** A TLS cluster's files under DATA_DIR/tls (made by writeDevCerts). */
export interface ClusterTlsFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  memberCert(name: string): { readonly certFile: string; readonly keyFile: string };
}

export interface ClusterPlan {
  readonly dataDir: string;
  /** Null: plaintext links. */
  readonly tls: ClusterTlsFiles | null;
  readonly nodes: number;
  readonly basePort: number;
  readonly members: readonly MemberPlan[];
  readonly initialCluster: string;
}

interface SavedLayout {
  readonly version: 1;
  readonly nodes: number;
  readonly basePort: number;
  readonly createdAt: string;
  readonly tls?: boolean;
}

export function clusterTlsFiles(dataDir: string): ClusterTlsFiles {
  const dir = join(resolve(dataDir), TLS_DIR);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client-key.pem'),
    memberCert: (name) => ({ certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}-key.pem`) }),
  };
}

export function planCluster(nodes: number, basePort: number, dataDir: string, tls = false): ClusterPlan {
  const dir = resolve(dataDir);
  const [http, ws] = tls ? ['https', 'wss'] : ['http', 'ws'];
  const members: MemberPlan[] = [];
  for (let i = 0; i < nodes; i++) {
    const name = `n${i + 1}`;
    const clientPort = basePort + i;
    const peerPort = basePort + PEER_PORT_OFFSET + i;
    const grpcPort = basePort + GRPC_PORT_OFFSET + i;
    members.push({
      name, clientPort, peerPort, grpcPort,
      clientUrl: `${http}://127.0.0.1:${clientPort}`,
      grpcUrl: `${http}://127.0.0.1:${grpcPort}`,
      peerUrl: `${http}://127.0.0.1:${peerPort}`,
      endpoint: `${ws}://127.0.0.1:${clientPort}`,
      dataDir: join(dir, name),
      logFile: join(dir, `${name}.log`),
    });
  }
  return {
    dataDir: dir, nodes, basePort, members, tls: tls ? clusterTlsFiles(dir) : null,
    initialCluster: members.map((m) => `${m.name}=${m.peerUrl}`).join(','),
  };
}

/** `kite server` arguments for one member of the plan. */
export function serverArgs(plan: ClusterPlan, m: MemberPlan): string[] {
  return [
    'server',
    '--name', m.name,
    '--data-dir', m.dataDir,
    '--listen-client', m.clientUrl,
    '--listen-peer', m.peerUrl,
    '--grpc-listen', m.grpcUrl,
    '--initial-cluster', plan.initialCluster,
    ...tlsArgs(plan, m),
  ];
}

/** Mutual TLS on both doors: each member's certificate names it, clients need the CA's. */
function tlsArgs(plan: ClusterPlan, m: MemberPlan): string[] {
  if (plan.tls === null) return [];
  const own = plan.tls.memberCert(m.name);
  const ca = plan.tls.caFile;
  return [
    '--cert-file', own.certFile, '--key-file', own.keyFile, '--trusted-ca-file', ca, '--client-cert-auth',
    '--peer-cert-file', own.certFile, '--peer-key-file', own.keyFile, '--peer-trusted-ca-file', ca, '--peer-client-cert-auth',
  ];
}

export function validateLayoutFlags(nodes: number, basePort: number): void {
  if (nodes < 1 || nodes > NODES_MAX) throw new UsageError(`--nodes must be from 1 to ${NODES_MAX}; got ${nodes}`);
  const top = basePort + PEER_PORT_OFFSET + nodes - 1;
  if (basePort < 1024 || top > 65535) {
    throw new UsageError(`--base-port must be from 1024 to ${65535 - PEER_PORT_OFFSET - nodes + 1} for ${nodes} members (clients use base..base+${nodes - 1}, peers base+${PEER_PORT_OFFSET}..); got ${basePort}`);
  }
}

function readSaved(dataDir: string): SavedLayout | null {
  const file = join(resolve(dataDir), LAYOUT_FILE);
  if (!existsSync(file)) return null;
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedLayout>;
    if (typeof raw.nodes !== 'number' || typeof raw.basePort !== 'number') throw new Error('missing nodes/basePort');
    return { version: 1, nodes: raw.nodes, basePort: raw.basePort, createdAt: String(raw.createdAt ?? ''), tls: raw.tls === true };
  } catch (err) {
    throw new CliError('BadLayout', `${file} is not a kite cluster layout (${(err as Error).message}); move it away or pick another --data-dir`);
  }
}

/**
 * The plan for `cluster up`: the saved layout when the data dir has one (explicit flags must
 * agree with it: changing the member set of existing data is `kite member add/remove`), else
 * a new layout from the flags, saved for next time.
 */
export function resolvePlan(dataDir: string, flags: { nodes?: number; basePort?: number; tls?: boolean }, save: boolean): ClusterPlan {
  const saved = readSaved(dataDir);
  if (saved !== null) {
    if (flags.nodes !== undefined && flags.nodes !== saved.nodes) {
      throw new UsageError(`${resolve(dataDir)} holds a ${saved.nodes}-member cluster; --nodes ${flags.nodes} does not match. Use another --data-dir for a new cluster.`);
    }
    if (flags.basePort !== undefined && flags.basePort !== saved.basePort) {
      throw new UsageError(`${resolve(dataDir)} holds a cluster on base port ${saved.basePort}; --base-port ${flags.basePort} does not match (members' peer URLs are part of their data).`);
    }
    if (flags.tls === true && saved.tls !== true) {
      throw new UsageError(`${resolve(dataDir)} holds a cluster without TLS; --tls does not match (members' peer URLs are part of their data). Use another --data-dir for a TLS cluster.`);
    }
    return planCluster(saved.nodes, saved.basePort, dataDir, saved.tls === true);
  }
  const nodes = flags.nodes ?? DEFAULT_NODES;
  const basePort = flags.basePort ?? DEFAULT_BASE_PORT;
  validateLayoutFlags(nodes, basePort);
  const plan = planCluster(nodes, basePort, dataDir, flags.tls === true);
  if (save) saveLayout(plan);
  return plan;
}

/** Records the plan's layout in its data dir unless one is there already. */
export function saveLayout(plan: ClusterPlan): void {
  const file = join(plan.dataDir, LAYOUT_FILE);
  if (existsSync(file)) return;
  mkdirSync(plan.dataDir, { recursive: true });
  const layout: SavedLayout = { version: 1, nodes: plan.nodes, basePort: plan.basePort, createdAt: new Date().toISOString(), tls: plan.tls !== null };
  writeFileSync(file, `${JSON.stringify(layout, null, 2)}\n`);
}

/** The plan of an existing data dir, for status/down; a clear error when there is none. */
export function existingPlan(dataDir: string): ClusterPlan {
  const saved = readSaved(dataDir);
  if (saved === null) {
    throw new CliError('NoCluster', `no kite cluster in ${resolve(dataDir)} (no ${LAYOUT_FILE}); start one with 'kite cluster up --data-dir ${dataDir}'`);
  }
  return planCluster(saved.nodes, saved.basePort, dataDir, saved.tls === true);
}
