// Message handling as a follower: accept the leader's log and commit index, reset the
// election timer on every sign of a live leader, answer forwarded reads, and campaign at once
// on TimeoutNow (leadership transfer).

import type { Message } from './message.js';
import type { Raft } from './raft.js';

export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'appendEntries':
      r.heardFromLeader(m.from);
      r.handleAppendEntries(m);
      return;
    case 'heartbeat':
      r.heardFromLeader(m.from);
      r.handleHeartbeat(m);
      return;
    case 'installSnapshot':
      r.heardFromLeader(m.from);
      r.handleInstallSnapshot(m);
      return;
    case 'timeoutNow':
      // The leader chose us: campaign now, skipping the pre-vote, with `transfer` set so
      // voters waive stickiness.
      r.hup(true);
      return;
    case 'readIndexResponse':
      r.receiveReadState({ index: m.index, context: m.context });
      return;
    default:
      return;
  }
}
