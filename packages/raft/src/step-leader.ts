// Message handling while leading: replication responses drive each follower's Progress and
// the commit index; heartbeat responses confirm ReadIndex rounds and leases; followers'
// read and transfer requests are served here.

import type { AppendEntriesResponse, HeartbeatResponse, Message } from './message.js';
import type { Raft } from './raft.js';
import type { NodeId } from './types.js';

export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'appendEntriesResponse':
      handleAppendResponse(r, m);
      return;
    case 'heartbeatResponse':
      handleHeartbeatResponse(r, m);
      return;
    case 'readIndex':
      if (r.trk.isMember(m.from)) r.leaderReadIndex({ from: m.from, context: m.context });
      return;
    case 'transferLeader':
      if (transferProblem(r, m.target) === null) startTransfer(r, m.target);
      return;
    default:
      // Another leader of our term cannot exist (Election Safety); vote responses after
      // winning, TimeoutNow and read responses are meaningless here.
      return;
  }
}

function handleAppendResponse(r: Raft, m: AppendEntriesResponse): void {
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    // Fast back-off: skip to the last index where the follower's log may match ours.
    const hint = m.logTerm > 0 ? r.log.findConflictByTerm(m.rejectHint, m.logTerm) : m.rejectHint;
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      r.maybeSendAppend(m.from, true);
    }
    return;
  }
  const wasPaused = pr.isPaused();
  // A probe answered at exactly our match also proves where the logs agree.
  const probeConfirmed = pr.state === 'probe' && pr.match === m.index;
  if (!pr.maybeUpdate(m.index) && !probeConfirmed) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot' && (pr.match >= pr.pendingSnapshot || pr.match + 1 >= r.log.firstIndex())) {
    // The snapshot landed (or the follower caught up another way): back to the log.
    pr.becomeProbe();
    pr.becomeReplicate();
  } else if (pr.state === 'replicate') {
    pr.inflights.freeLE(m.index);
  }
  if (!r.maybeCommitAndBroadcast() && wasPaused) r.maybeSendAppend(m.from, true);
  // Keep the pipeline full while there is more to send.
  while (r.maybeSendAppend(m.from, false)) {
    // each iteration sends one bounded batch; the inflight window ends the loop
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) r.sendTimeoutNow(m.from);
}

function handleHeartbeatResponse(r: Raft, m: HeartbeatResponse): void {
  const pr = r.trk.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.msgAppFlowPaused = false;
  pr.leaseAckTick = Math.max(pr.leaseAckTick, m.leaseTick);
  if (pr.state === 'snapshot' && r.tickCount - pr.snapshotSentTick >= r.cfg.snapshotRetryTicks) {
    // The snapshot (or its answer) was probably lost: probe again, re-sending it if needed.
    pr.pendingSnapshot = 0;
    pr.becomeProbe();
  }
  // The follower is alive but its pipeline may have lost messages: let one more through.
  if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex() || pr.state === 'probe') r.maybeSendAppend(m.from, true);
  if (m.context !== null) {
    r.answerConfirmedReads(r.readOnly.recvAck(m.from, m.context, (acks) => r.readQuorum(acks)));
  }
}

/** Why leadership cannot go to `target`, or null. */
export function transferProblem(r: Raft, target: NodeId): string | null {
  if (!r.trk.voters.has(target)) {
    return r.trk.learners.has(target) ? `${target} is a learner and cannot lead` : `${target} is not a member`;
  }
  return null;
}

/**
 * Starts moving leadership to `target`: catch it up, then send TimeoutNow so it campaigns at
 * once (bypassing vote stickiness). Proposals are refused meanwhile so the log stops growing;
 * the transfer is abandoned after an election timeout (tickHeartbeat).
 */
export function startTransfer(r: Raft, target: NodeId): void {
  if (target === r.id) return;
  if (r.leadTransferee === target) return;
  r.abortLeaderTransfer();
  r.beginLeaderTransfer(target);
  const pr = r.trk.progress.get(target);
  if (pr !== undefined && pr.match === r.log.lastIndex()) r.sendTimeoutNow(target);
  else r.maybeSendAppend(target, true);
}
