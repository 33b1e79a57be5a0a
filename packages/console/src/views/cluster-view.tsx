// The cluster view: every member with its role, Raft indexes, lag behind the leader, DB size,
// version and liveness (down members are red), the alarms, the leader changes as they happen,
// and the two membership actions: promote a learner, move the leadership (both confirmed).
import { useEffect, useState } from 'preact/hooks';
import type { KiteClient, Member } from '@kite/client/browser';
import { ClusterModel, EMPTY_CLUSTER, type ClusterSnapshot } from '../cluster/cluster-model.js';
import type { ProbeResult } from '../cluster/member-probe.js';
import { ConfirmDialog } from '../ui/confirm-dialog.js';
import { formatBytes, formatTime } from '../ui/format.js';
import type { ViewProps } from './registry.js';

type Pending = { readonly kind: 'promote' | 'moveLeader'; readonly member: Member } | null;

function useCluster(client: KiteClient): ClusterSnapshot {
  const [snap, setSnap] = useState<ClusterSnapshot>(EMPTY_CLUSTER);
  useEffect(() => {
    const live = new ClusterModel(client, setSnap);
    live.start();
    return () => live.close();
  }, [client]);
  return snap;
}

export function ClusterView({ session }: ViewProps) {
  const snap = useCluster(session.client);
  const [pending, setPending] = useState<Pending>(null);
  const leaderProbe = snap.leader === null ? undefined : snap.probes.get(snap.leader);
  const leaderCommit = leaderProbe?.up === true ? leaderProbe.status.raftIndex : null;
  const leaderName = snap.members.find((m) => m.id === snap.leader)?.name ?? snap.leader;

  return (
    <section aria-labelledby="cluster-title">
      <h1 id="cluster-title">Cluster</h1>
      <p class="summary" aria-live="polite">
        {snap.members.length} members · leader <strong data-testid="leader">{leaderName ?? 'none'}</strong> · term {snap.term}
      </p>
      {snap.listError !== null && <p class="error" role="alert">Member list: {snap.listError}</p>}
      <div class="table-wrap">
        <table class="members">
          <caption class="sr-only">Members</caption>
          <thead>
            <tr>
              <th scope="col">State</th><th scope="col">Name</th><th scope="col">ID</th><th scope="col">URLs (client, peer)</th>
              <th scope="col">Role</th><th scope="col">Term</th><th scope="col">Commit</th>
              <th scope="col">Applied</th><th scope="col">Lag</th><th scope="col">DB size</th><th scope="col">Version</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {[...snap.members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((m) => (
              <MemberRow key={m.id} member={m} probe={snap.probes.get(m.id)} leader={snap.leader} leaderCommit={leaderCommit} onAction={setPending} />
            ))}
          </tbody>
        </table>
      </div>
      <h2>Alarms</h2>
      {snap.alarms.length === 0
        ? <p data-testid="alarms">No alarms.</p>
        : (
          <ul data-testid="alarms" class="alarms">
            {snap.alarms.map((a) => <li key={`${a.memberId}:${a.alarm}`} class="error">{a.alarm} on {snap.members.find((m) => m.id === a.memberId)?.name ?? a.memberId}</li>)}
          </ul>
        )}
      <h2>Leader changes</h2>
      <ol class="changes" aria-live="polite" data-testid="leader-changes">
        {snap.leaderChanges.map((c) => (
          <li key={`${c.term}:${c.to}`}>
            {formatTime(c.at)} term {c.term}: {c.from === null
              ? `${nameOf(snap.members, c.to) ?? '?'} leads (first seen)`
              : `${nameOf(snap.members, c.from) ?? '?'} → ${nameOf(snap.members, c.to) ?? '?'}`}
          </li>
        ))}
      </ol>
      {pending !== null && (
        <ConfirmDialog
          title={pending.kind === 'promote' ? `Promote ${pending.member.name}?` : `Move the leadership to ${pending.member.name}?`}
          confirmLabel={pending.kind === 'promote' ? 'Promote' : 'Move leader'}
          onClose={() => setPending(null)}
          onConfirm={async () => {
            if (pending.kind === 'promote') await session.client.members.promote(pending.member.id);
            else await session.client.moveLeader(pending.member.id);
          }}
        >
          {pending.kind === 'promote'
            ? <p>{pending.member.name} becomes a voting member. It must have caught up with the leader's log, or the cluster refuses.</p>
            : <p>The current leader ({leaderName}) hands over to {pending.member.name}. Writes pause for the handover.</p>}
        </ConfirmDialog>
      )}
    </section>
  );
}

function nameOf(members: readonly Member[], id: string | null): string | null {
  if (id === null) return null;
  const m = members.find((x) => x.id === id);
  return m !== undefined && m.name !== '' ? m.name : id;
}

function MemberRow(props: {
  readonly member: Member;
  readonly probe: ProbeResult | undefined;
  readonly leader: string | null;
  readonly leaderCommit: number | null;
  readonly onAction: (p: Pending) => void;
}) {
  const { member: m, probe } = props;
  const up = probe?.up === true;
  const st = probe?.up === true ? probe.status : null;
  const role = m.isLearner ? 'learner' : m.id === props.leader ? 'leader' : 'follower';
  const state = probe === undefined ? 'unknown' : up ? 'up' : 'down';
  const lag = st !== null && props.leaderCommit !== null ? Math.max(0, props.leaderCommit - st.raftAppliedIndex) : null;
  return (
    <tr data-member={m.name} data-member-id={m.id} data-state={state} class={`member ${state}`}>
      <td>
        <span class={`dot ${state}`} aria-hidden="true" />
        <span class="state-text">{state}</span>
        {probe?.up === false && <span class="sr-only">: {probe.error}</span>}
      </td>
      <th scope="row">{m.name === '' ? '(not started)' : m.name}</th>
      <td><code>{m.id}</code></td>
      <td class="urls">{[...m.clientUrls, ...m.peerUrls].map((u) => <div key={u}>{u}</div>)}</td>
      <td data-role={role}>{role}</td>
      <td>{st?.raftTerm ?? '–'}</td>
      <td>{st?.raftIndex ?? '–'}</td>
      <td>{st?.raftAppliedIndex ?? '–'}</td>
      <td>{lag ?? '–'}</td>
      <td>{st !== null ? formatBytes(st.dbSize) : '–'}</td>
      <td>{st?.version ?? '–'}</td>
      <td>
        {m.isLearner && <button type="button" aria-label={`Promote: ${m.name === '' ? m.id : m.name}`} onClick={() => props.onAction({ kind: 'promote', member: m })}>Promote</button>}
        {!m.isLearner && role !== 'leader' && up && (
          <button type="button" aria-label={`Make leader: ${m.name}`} onClick={() => props.onAction({ kind: 'moveLeader', member: m })}>Make leader</button>
        )}
      </td>
    </tr>
  );
}
