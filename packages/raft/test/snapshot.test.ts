// InstallSnapshot: catching up a far-behind follower, re-sending a lost snapshot, probing
// after a failed one, and restarting from a snapshot plus log.
import { describe, it, expect } from 'vitest';
import { Network, text } from './network.js';

describe('snapshots', () => {
  it('a follower far behind is caught up by InstallSnapshot', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    net.isolate('n3');
    for (let i = 0; i < 30; i++) net.propose('n1', `e${i}`);
    net.stabilize();
    // The leader's host snapshots its state machine at the applied index and compacts.
    const n1 = net.get('n1');
    const applied = n1.node.status().applied;
    const conf = n1.node.status().config;
    n1.storage.createSnapshot(applied, conf, text(net.appliedTexts('n1').join(',')));
    n1.storage.compact(applied);
    net.propose('n1', 'after-snapshot');
    net.stabilize();
    const sent = net.delivered.length;
    net.heal();
    net.tick(3);
    const snaps = net.delivered.slice(sent).filter((m) => m.type === 'installSnapshot');
    expect(snaps.length).toBe(1);
    const n3 = net.get('n3');
    expect(n3.storage.snapshot().metadata.index).toBe(applied);
    expect(new TextDecoder().decode(n3.storage.snapshot().data).split(',').length).toBe(30);
    // Entries after the snapshot came through the log.
    expect(net.appliedTexts('n3')).toEqual(['after-snapshot']);
    expect(n3.node.status().applied).toBe(n1.node.status().applied);
    const pr = n1.node.status().progress['n3'];
    expect(pr?.state).toBe('replicate');
    expect(pr?.match).toBe(n1.node.status().lastIndex);
  });

  it('re-sends a snapshot that was lost', () => {
    const net = new Network(['n1', 'n2', 'n3'], { snapshotRetryTicks: 20 });
    net.reportSnapshots = false; // the host never learns the outcome: only the retry helps
    net.campaign('n1');
    net.isolate('n3');
    for (let i = 0; i < 5; i++) net.propose('n1', `e${i}`);
    net.stabilize();
    const n1 = net.get('n1');
    const applied = n1.node.status().applied;
    n1.storage.createSnapshot(applied, n1.node.status().config, text('state'));
    n1.storage.compact(applied);
    net.heal();
    let dropped = 0;
    net.filter = (m) => {
      if (m.type === 'installSnapshot' && dropped === 0) {
        dropped++;
        return null;
      }
      return m;
    };
    net.tick(2);
    expect(dropped).toBe(1);
    expect(n1.node.status().progress['n3']?.state).toBe('snapshot');
    net.tick(25);
    expect(net.get('n3').storage.snapshot().metadata.index).toBe(applied);
    expect(n1.node.status().progress['n3']?.state).toBe('replicate');
  });

  it('reportSnapshot(failure) makes the leader probe again', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.reportSnapshots = false; // reported by hand below
    net.campaign('n1');
    net.isolate('n3');
    net.propose('n1', 'x');
    net.stabilize();
    const n1 = net.get('n1');
    const applied = n1.node.status().applied;
    n1.storage.createSnapshot(applied, n1.node.status().config, text('s'));
    n1.storage.compact(applied);
    net.heal();
    net.filter = (m) => (m.type === 'installSnapshot' ? null : m);
    net.tick(2);
    expect(n1.node.status().progress['n3']?.state).toBe('snapshot');
    n1.node.reportSnapshot('n3', 'failure');
    expect(n1.node.status().progress['n3']?.state).toBe('probe');
    net.filter = null;
    net.tick(3);
    expect(n1.node.status().progress['n3']?.state).toBe('replicate');
  });

  it('a restarted member resumes from its snapshot and log', () => {
    const net = new Network(['n1', 'n2', 'n3']);
    net.campaign('n1');
    for (let i = 0; i < 4; i++) net.propose('n1', `e${i}`);
    net.stabilize();
    const n2 = net.get('n2');
    const applied = n2.node.status().applied;
    n2.storage.createSnapshot(applied - 1, n2.node.status().config, text('s'));
    n2.storage.compact(applied - 1);
    net.crash('n2');
    net.propose('n1', 'while-down');
    net.stabilize();
    net.restart('n2');
    net.tick(3);
    // Restarted at the snapshot index: re-applies the last entry before the crash, then the new one.
    expect(net.appliedTexts('n2')).toEqual(['e3', 'while-down']);
  });
});
