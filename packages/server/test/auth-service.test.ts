// AuthService over a real auth state: a login bound to a session ends when the user's password
// or roles change (reauthenticate), and a forwarded caller whose login predates such a change
// is refused by the leader even when the forwarding member had not applied it yet.
import { describe, expect, it } from 'vitest';
import { KvStore, MemoryBackend, type AuthAction } from '@kite/kvstore';
import { KiteError } from '@kite/protocol';
import { AuthService } from '../src/auth/auth-service.js';
import { Authorizer } from '../src/auth/authorize.js';
import { hashPassword } from '../src/auth/password.js';
import { AuthSession } from '../src/auth/session.js';
import { LoginThrottle } from '../src/auth/throttle.js';
import { SimpleTokens } from '../src/auth/tokens.js';

async function setUp() {
  const store = await KvStore.open({ backend: new MemoryBackend() });
  let index = 0;
  const apply = async (a: AuthAction): Promise<void> => {
    const [r] = await store.apply([{ index: ++index, command: { op: 'auth', args: a } }]);
    if (r?.status !== 'applied') throw new Error('auth change refused');
  };
  await apply({ action: 'userAdd', name: 'root', passwordHash: await hashPassword('r') });
  await apply({ action: 'userGrantRole', name: 'root', role: 'root' });
  await apply({ action: 'userAdd', name: 'alice', passwordHash: await hashPassword('a') });
  await apply({ action: 'enable' });
  const authorizer = new Authorizer({ view: store.auth, leaseKeys: () => [] });
  const auth = new AuthService({
    view: store.auth, authorizer, tokens: new SimpleTokens(60), throttle: new LoginThrottle(),
    linearizableRead: () => Promise.resolve(), revisionNow: () => store.currentRevision,
  });
  return { auth, apply };
}

const reauth = (fn: () => unknown): boolean => {
  try {
    fn();
    return false;
  } catch (err) {
    return err instanceof KiteError && err.code === 'Unauthenticated' && err.details.reauthenticate === true;
  }
};

describe('AuthService', () => {
  it('ends a session login and refuses a forwarded stale login after a password change', async () => {
    const { auth, apply } = await setUp();
    const session = new AuthSession('10.0.0.1', 'ws');
    await auth.authenticate(session, { name: 'alice', password: 'a' });
    const caller = auth.callerOf(session);
    expect(caller.user).toBe('alice');
    expect(() => auth.checkForwardedLogin(caller)).not.toThrow();
    await apply({ action: 'userChangePassword', name: 'alice', passwordHash: await hashPassword('b') });
    expect(reauth(() => auth.checkForwardedLogin(caller))).toBe(true);
    expect(reauth(() => auth.callerOf(session))).toBe(true);
    expect(auth.callerOf(session).user).toBeNull(); // the binding was cleared
    await expect(auth.authenticate(session, { name: 'alice', password: 'a' })).rejects.toThrow(/invalid user name or password/);
    await auth.authenticate(session, { name: 'alice', password: 'b' });
    expect(auth.callerOf(session).user).toBe('alice');
    // A certificate identity carries no login to check.
    expect(() => auth.checkForwardedLogin({ user: 'alice', address: 'x', via: 'ws' })).not.toThrow();
  });
});
