// Per-connection reply budgets of the etcd door: bounded per peer, released per read.
import { describe, expect, it } from 'vitest';
import { PeerReplyBudgets } from '../../src/etcd/reply-budget.js';

describe('PeerReplyBudgets', () => {
  it('refuses a read that would pass the connection\'s limit, counting every read in flight on it', () => {
    const budgets = new PeerReplyBudgets(100);
    const a = budgets.open('1.1.1.1:5');
    const b = budgets.open('1.1.1.1:5');
    a.charge.charge(60);
    expect(() => b.charge.charge(50)).toThrow(expect.objectContaining({ code: 'Unavailable', details: expect.objectContaining({ limitBytes: 100, actualBytes: 110 }) }));
    // Another connection has its own budget.
    budgets.open('1.1.1.1:6').charge.charge(100);
    a.release();
    b.charge.charge(50);
    b.release();
    expect(budgets.peers).toBe(1);
  });

  it('forgets a connection once its last read released', () => {
    const budgets = new PeerReplyBudgets(10);
    const r = budgets.open('p');
    r.charge.charge(10);
    r.release();
    r.release();
    expect(budgets.peers).toBe(0);
    budgets.open('p').charge.charge(10);
  });
});
