// All nemeses by name. The runner looks the --nemesis list up here.
import { blackholeSnapshotNemesis } from './blackhole-snapshot.js';
import { clientLinkNemeses } from './client-links.js';
import { clockNemesis } from './clock.js';
import { clusterOpNemeses } from './cluster-ops.js';
import { failpointNemesis } from './failpoint.js';
import { corruptNemesis } from './corrupt.js';
import { memberNemesis } from './member.js';
import { partitionNemeses } from './partition.js';
import { processNemeses } from './process-faults.js';
import type { Nemesis, NemesisName } from './types.js';

export * from './types.js';

const ALL: readonly Nemesis[] = [...partitionNemeses, ...processNemeses, ...clusterOpNemeses, memberNemesis, clockNemesis, corruptNemesis, blackholeSnapshotNemesis, ...clientLinkNemeses, failpointNemesis];

export function nemesisByName(name: NemesisName): Nemesis {
  const n = ALL.find((x) => x.name === name);
  if (n === undefined) throw new Error(`assertion: nemesis ${name} has no implementation`);
  return n;
}
