// The gRPC door's per-turn start of unary calls: calls that arrive in separate native callbacks
// (each followed by a microtask drain, as HTTP/2 delivers streams) start together, in arrival
// order, once per event-loop turn; a start that throws does not stop the others.
import { describe, expect, it } from 'vitest';
import { CallTurn } from '../../src/etcd/call-turn.js';

/** A start that throws where none should. */
const fail = (err: unknown): never => {
  throw err;
};

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('CallTurn', () => {
  it('starts calls deferred across microtask drains together, in arrival order, on one turn', async () => {
    const turn = new CallTurn(fail);
    const started: number[] = [];
    const CALLS = 50;
    for (let i = 0; i < CALLS; i++) {
      turn.defer(() => started.push(i));
      // What a microtask drain between two HTTP/2 stream callbacks lets run.
      await Promise.resolve();
    }
    // Nothing started during the poll phase that delivered the calls.
    expect(started).toEqual([]);
    await nextTurn();
    expect(started).toEqual(Array.from({ length: CALLS }, (_, i) => i));
    // One burst: the bound on work is one start batch for all of them.
    expect(turn.turns).toBe(1);
  });

  it('a call deferred by a started call waits for the next turn', async () => {
    const turn = new CallTurn(fail);
    const started: string[] = [];
    turn.defer(() => {
      started.push('a');
      turn.defer(() => started.push('b'));
    });
    await nextTurn();
    expect(started).toEqual(['a']);
    await nextTurn();
    expect(started).toEqual(['a', 'b']);
    expect(turn.turns).toBe(2);
  });

  it('a start that throws is reported and does not keep the later ones from running', async () => {
    const errors: unknown[] = [];
    const turn = new CallTurn((err) => errors.push(err));
    const started: number[] = [];
    turn.defer(() => started.push(1));
    turn.defer(() => {
      throw new Error('broken start');
    });
    turn.defer(() => started.push(3));
    await nextTurn();
    expect(started).toEqual([1, 3]);
    expect(errors).toEqual([new Error('broken start')]);
  });
});
