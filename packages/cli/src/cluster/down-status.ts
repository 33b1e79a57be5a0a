// `kite cluster down` (stop exactly the pids `cluster up` recorded) and `kite cluster status`
// (every member's view: up/down, leader, term, commit/applied, revision, db size).
import { setTimeout as sleep } from 'node:timers/promises';
import { humanBytes } from '../bytes.js';
import { EXIT_ERROR, EXIT_OK } from '../errors.js';
import type { OutputFormat } from '../flags.js';
import { renderTable } from '../output/table.js';
import type { ClusterPlan } from './layout.js';
import { isAlive, isOurSupervisor, isRecordedMemberRunning, readPidFile, removePidFile, stopPids, KILL_WAIT_MS, STOP_GRACE_MS } from './procs.js';
import { pollStatuses } from './wait-leader.js';

export async function clusterDown(plan: ClusterPlan): Promise<number> {
  const pf = readPidFile(plan.dataDir);
  if (pf === null) {
    // Idempotent, so scripts and test teardown can call it unconditionally.
    process.stdout.write(`no running cluster recorded in ${plan.dataDir}; nothing to stop\n`);
    return EXIT_OK;
  }
  const viaSupervisor = pf.supervisorPid !== undefined && isOurSupervisor(pf.supervisorPid);
  if (viaSupervisor && pf.supervisorPid !== undefined) {
    // A foreground `cluster up`: ask it to stop its members the way Ctrl-C does.
    process.kill(pf.supervisorPid, 'SIGTERM');
    for (let waited = 0; isAlive(pf.supervisorPid) && waited < STOP_GRACE_MS + KILL_WAIT_MS; waited += 100) await sleep(100);
  }
  const ours = pf.members.filter((m) => isRecordedMemberRunning(plan, m));
  const killed = await stopPids(ours.map((m) => m.pid));
  removePidFile(plan.dataDir);
  for (const m of pf.members) {
    const how = killed.includes(m.pid) ? 'killed (SIGKILL after grace period)'
      : ours.some((o) => o.pid === m.pid) ? 'stopped'
      : viaSupervisor ? `stopped by its 'cluster up' (pid ${pf.supervisorPid})` : 'was not running';
    process.stdout.write(`${m.name} (pid ${m.pid}) ${how}\n`);
  }
  return EXIT_OK;
}

export async function clusterStatus(plan: ClusterPlan, fmt: OutputFormat): Promise<number> {
  const pf = readPidFile(plan.dataDir);
  const statuses = await pollStatuses(plan);
  const rows = plan.members.map((m, i) => {
    const s = statuses[i] ?? null;
    const rec = pf?.members.find((p) => p.name === m.name);
    return { m, s, pid: rec !== undefined && isRecordedMemberRunning(plan, rec) ? rec.pid : undefined };
  });
  const leader = rows.find((r) => r.s?.isLeader === true);
  if (fmt === 'json') {
    process.stdout.write(`${JSON.stringify({
      dataDir: plan.dataDir,
      leader: leader?.m.name ?? null,
      members: rows.map(({ m, s, pid }) => ({
        name: m.name, endpoint: m.endpoint, peerUrl: m.peerUrl, pid: pid ?? null, up: s !== null,
        ...(s !== null ? { id: s.memberId, isLeader: s.isLeader, term: s.term, commit: s.commit, applied: s.applied, revision: s.revision, dbSizeBytes: s.dbSizeBytes } : {}),
      })),
    })}\n`);
  } else {
    process.stdout.write(renderTable(
      ['name', 'pid', 'endpoint', 'state', 'id', 'leader', 'term', 'commit', 'applied', 'revision', 'db size'],
      rows.map(({ m, s, pid }) => [
        m.name, pid !== undefined ? String(pid) : '-', m.endpoint, s === null ? 'DOWN' : 'up',
        s?.memberId ?? '-', s === null ? '-' : s.isLeader ? 'yes' : 'no', s !== null ? String(s.term) : '-',
        s !== null ? String(s.commit) : '-', s !== null ? String(s.applied) : '-', s !== null ? String(s.revision) : '-',
        s !== null ? humanBytes(s.dbSizeBytes) : '-',
      ]),
    ));
    const up = rows.filter((r) => r.s !== null).length;
    process.stdout.write(`${up}/${plan.nodes} members up; leader: ${leader?.m.name ?? 'none'}\n`);
  }
  return rows.every((r) => r.s !== null) ? EXIT_OK : EXIT_ERROR;
}
