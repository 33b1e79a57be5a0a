// The identity and membership of a NEW cluster, as every initial member derives them alike from
// its flags (--initial-cluster, --initial-cluster-token, --name): used by a fresh member's
// bootstrap (kite-server.ts) and by `kite snapshot restore` (restore-data-dir.ts), so a
// restored member and a fresh one of the same flags agree on ids.
import type { Member } from '@kite/protocol';
import type { HardState, Snapshot } from '@kite/raft';
import { deriveClusterId, initialMemberIds, type ServerConfig } from './config.js';
import { BOOTSTRAP_INDEX } from './host.js';
import { MemberRegistry } from './member-registry.js';
import type { RaftLogStore, StoreIdentity } from './raft-log-store.js';

export interface NewClusterState {
  readonly identity: StoreIdentity;
  readonly registry: MemberRegistry;
  readonly voters: string[];
}

export function newClusterState(cfg: Pick<ServerConfig, 'initialCluster' | 'clusterToken' | 'name'>): NewClusterState {
  const ids = initialMemberIds(cfg);
  const members: Member[] = cfg.initialCluster.map((m) => ({
    id: ids.get(m.name) as string,
    name: m.name,
    peerUrls: [m.peerUrl],
    // Nobody's client URL, not even our own: every member must start from the same
    // snapshot, and a URL filled in here would never be published (publishAttributes
    // sees it already recorded), so the others would never learn it.
    clientUrls: [],
    isLearner: false,
  }));
  return {
    identity: { clusterId: deriveClusterId(cfg.clusterToken, [...ids.values()]), memberId: ids.get(cfg.name) as string, name: cfg.name },
    registry: new MemberRegistry(members),
    voters: members.map((m) => m.id),
  };
}

/** What a fresh data dir starts from: its synthetic snapshot and HardState. */
export interface BootstrapState {
  readonly snapshot: Snapshot;
  readonly hardState: HardState | null;
}

/**
 * Records a fresh data dir's identity and starting point, durably: the ONE bootstrap path of the
 * server (kite-server.ts) and of the host simulation. A member of a new cluster starts from the
 * synthetic snapshot at BOOTSTRAP_INDEX (term 1) holding the initial configuration, so the log
 * proper starts after it and a member that joins later always receives a snapshot first (and
 * with it the configuration); a joining member starts empty (index 0, no voters).
 */
export async function initializeDataDir(
  logStore: Pick<RaftLogStore, 'initialize'>,
  identity: StoreIdentity,
  registry: MemberRegistry,
  voters: readonly string[],
  isNew: boolean,
): Promise<BootstrapState> {
  const index = isNew ? BOOTSTRAP_INDEX : 0;
  const snapshot: Snapshot = { metadata: { index, term: index, confState: { voters: [...voters], learners: [] } }, data: registry.encode() };
  const hardState: HardState | null = isNew ? { term: BOOTSTRAP_INDEX, vote: null, commit: BOOTSTRAP_INDEX } : null;
  await logStore.initialize(identity, snapshot, hardState);
  return { snapshot, hardState };
}
