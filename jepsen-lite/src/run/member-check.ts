// The runner's own check: at the end of the run (after the heal and recovery phases) every
// member must be running. A member that cannot be restarted (it exits on startup, e.g. it
// finds its data directory corrupt) is a failure even when the rest of the cluster, a
// quorum, still serves every operation correctly.

import { existsSync, readFileSync } from 'node:fs';
import type { Anomaly, CheckResult } from '../checkers/index.js';
import type { Cluster } from '../cluster/cluster.js';

/** Bytes of a member's log scanned for its last fatal line. */
const LOG_TAIL_BYTES = 64 * 1024;

function lastFatalLine(file: string): string | null {
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8');
  const lines = text.slice(-LOG_TAIL_BYTES).split('\n').filter((l) => l.includes('"level":60') || l.includes('"level":50'));
  return lines[lines.length - 1]?.slice(0, 600) ?? null;
}

export function checkMembers(cluster: Cluster): CheckResult {
  const anomalies: Anomaly[] = [];
  for (const name of cluster.names) {
    const p = cluster.process(name);
    if (p.alive) continue;
    if (cluster.removed.has(name)) {
      anomalies.push({ type: 'member-not-readded', message: `member ${name} was removed and could not be added back (see the add-member entry)`, node: name });
      continue;
    }
    anomalies.push({
      type: 'member-down',
      message: `member ${name} is not running at the end of the run (last exit ${JSON.stringify(p.lastExit)}); last error in its log: ${lastFatalLine(p.spec.logFile) ?? 'none'}`,
      node: name,
      starts: p.starts,
    });
  }
  return { checker: 'members', valid: anomalies.length === 0, anomalies, stats: { members: cluster.names.length, down: anomalies.length } };
}
