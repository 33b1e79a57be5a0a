// Per-call sessions from etcd tokens: verified once, cached (bounded), refused when invalid.
import { describe, expect, it } from 'vitest';
import type { BoundUser } from '../../src/auth/session.js';
import { EtcdContexts, TOKEN_LOGINS_MAX } from '../../src/etcd/etcd-context.js';

function fakeAuth(valid: ReadonlyMap<string, string>): { verifyToken(t: string): Promise<BoundUser | null>; calls: number } {
  const state = {
    calls: 0,
    verifyToken(t: string): Promise<BoundUser | null> {
      state.calls++;
      const user = valid.get(t);
      return Promise.resolve(user === undefined ? null : { user, changedAt: 1, expiresAtMs: performance.now() + 60_000 });
    },
  };
  return state;
}

describe('EtcdContexts', () => {
  it('gives a call without a token an anonymous session with its address and certificate user', async () => {
    const ctx = await new EtcdContexts(fakeAuth(new Map())).contextOf({ token: null, address: '1.2.3.4:5', via: 'grpc', certUser: 'alice' });
    expect(ctx.session.bound).toBeNull();
    expect(ctx.session.certUser).toBe('alice');
    expect(ctx.session.address).toBe('1.2.3.4:5');
  });

  it('binds each call\'s own session to the token\'s user, verifying the token once', async () => {
    const auth = fakeAuth(new Map([['tok', 'bob']]));
    const contexts = new EtcdContexts(auth);
    const a = await contexts.contextOf({ token: 'tok', address: 'a', via: 'grpc', certUser: null });
    const b = await contexts.contextOf({ token: 'tok', address: 'b', via: 'grpc', certUser: null });
    expect(a.session.bound?.user).toBe('bob');
    expect(b.session.bound?.user).toBe('bob');
    expect(a.session).not.toBe(b.session);
    expect(auth.calls).toBe(1);
  });

  it('refuses an unknown or oversized token with Unauthenticated', async () => {
    const contexts = new EtcdContexts(fakeAuth(new Map()));
    await expect(contexts.contextOf({ token: 'nope', address: 'a', via: 'grpc', certUser: null })).rejects.toMatchObject({ code: 'Unauthenticated' });
    await expect(contexts.contextOf({ token: 'x'.repeat(5000), address: 'a', via: 'grpc', certUser: null })).rejects.toMatchObject({ code: 'Unauthenticated' });
  });

  it('keeps at most TOKEN_LOGINS_MAX logins, dropping the oldest', async () => {
    const tokens = new Map(Array.from({ length: TOKEN_LOGINS_MAX + 1 }, (_, i) => [`t${i}`, 'u'] as const));
    const auth = fakeAuth(tokens);
    const contexts = new EtcdContexts(auth);
    for (const t of tokens.keys()) await contexts.contextOf({ token: t, address: 'a', via: 'grpc', certUser: null });
    expect(auth.calls).toBe(TOKEN_LOGINS_MAX + 1);
    await contexts.contextOf({ token: `t${TOKEN_LOGINS_MAX}`, address: 'a', via: 'grpc', certUser: null });
    expect(auth.calls).toBe(TOKEN_LOGINS_MAX + 1);
    await contexts.contextOf({ token: 't0', address: 'a', via: 'grpc', certUser: null });
    expect(auth.calls).toBe(TOKEN_LOGINS_MAX + 2);
  });
});
