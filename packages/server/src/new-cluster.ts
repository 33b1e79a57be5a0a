// The identity and membership of a NEW cluster, as every initial member derives them alike from
// its flags (--initial-cluster, --initial-cluster-token, --name): used by a fresh member's
// bootstrap (kite-server.ts) and by `kite snapshot restore` (restore-data-dir.ts), so a
// restored member and a fresh one of the same flags agree on ids.
import type { Member } from '@kite/protocol';
import { deriveClusterId, initialMemberIds, type ServerConfig } from './config.js';
import { MemberRegistry } from './member-registry.js';
import type { StoreIdentity } from './raft-log-store.js';

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
