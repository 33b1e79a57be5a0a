// Message handling while (pre-)campaigning: tally votes of the matching kind; a leader of our
// term (any appendEntries/heartbeat/snapshot at our term) ends the campaign.

import type { Message } from './message.js';
import type { Raft } from './raft.js';

export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case 'appendEntries':
      r.becomeFollower(m.term, m.from);
      r.handleAppendEntries(m);
      return;
    case 'heartbeat':
      r.becomeFollower(m.term, m.from);
      r.handleHeartbeat(m);
      return;
    case 'installSnapshot':
      r.becomeFollower(m.term, m.from);
      r.handleInstallSnapshot(m);
      return;
    case 'requestVoteResponse': {
      // Only responses to the kind of election we are running count.
      if (m.preVote !== (r.role === 'preCandidate')) return;
      const result = r.recordVote(m.from, !m.reject);
      if (result === 'won') {
        if (r.role === 'preCandidate') r.campaign('election', false);
        else r.becomeLeader();
      } else if (result === 'lost') {
        r.becomeFollower(r.term, null);
      }
      return;
    }
    default:
      return;
  }
}
