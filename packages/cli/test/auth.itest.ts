// The etcdctl-style auth commands through the real `kite` binary against a real cluster:
// user/role/auth management, --user name:password, KITE_USER/KITE_PASSWORD, refusals with a
// clear message and exit 1, and a non-terminal stdin never left waiting for a password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './cluster-harness.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3);
});

afterAll(async () => {
  await cluster?.stop();
});

async function ok(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await cluster.kite(args, { env });
  if (r.code !== 0) throw new Error(`kite ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe('kite user / role / auth', () => {
  it('sets up users and roles, enables auth, and confines a user to its prefix', async () => {
    const refused = await cluster.kite(['auth', 'enable']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/root does not exist/);
    expect(await ok(['user', 'add', 'root:rootpw'])).toBe('User root created\n');
    expect(await ok(['user', 'grant-role', 'root', 'root'])).toBe('Role root is granted to user root\n');
    expect(await ok(['role', 'add', 'app1'])).toBe('Role app1 created\n');
    await ok(['role', 'grant-permission', 'app1', 'readwrite', '/app1/', '--prefix']);
    await ok(['role', 'grant-permission', 'app1', 'read', '/shared']);
    await ok(['user', 'add', 'alice', '--new-user-password', 'alicepw']);
    await ok(['user', 'grant-role', 'alice', 'app1']);
    expect(await ok(['role', 'get', 'app1'])).toBe('Role app1\n  readwrite [/app1/, /app10)\n  read /shared\n');
    expect(await ok(['auth', 'enable'])).toBe('Authentication Enabled\n');

    const anon = await cluster.kite(['put', '/app1/x', 'v']);
    expect(anon.code).toBe(1);
    expect(anon.stderr).toMatch(/authentication required/);
    expect(await ok(['put', '/app1/x', 'v', '--user', 'alice:alicepw'])).toBe('OK\n');
    expect(await ok(['get', '/app1/x'], { KITE_USER: 'alice', KITE_PASSWORD: 'alicepw' })).toBe('/app1/x\nv\n');
    const denied = await cluster.kite(['put', '/app2/x', 'v', '--user', 'alice', '--password', 'alicepw']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/user alice may not write key "\/app2\/x"/);
    const wrong = await cluster.kite(['get', '/app1/x', '--user', 'alice:nope']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/invalid user name or password/);
    // No password and no terminal: the command says how to give one instead of waiting.
    const noTty = await cluster.kite(['get', '/app1/x', '--user', 'alice'], { input: '' });
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/stdin is not a terminal/);

    const root = ['--user', 'root:rootpw'];
    expect(JSON.parse(await ok(['user', 'list', '-w', 'json', ...root]))).toEqual({ users: ['alice', 'root'] });
    expect(await ok(['user', 'get', 'alice', ...root])).toBe('User: alice\nRoles: app1\n');
    expect(await ok(['role', 'list', ...root])).toBe('app1\n');
    expect(JSON.parse(await ok(['auth', 'status', '-w', 'json', ...root]))).toMatchObject({ enabled: true });
    expect(await ok(['user', 'passwd', 'alice', '--new-user-password', 'pw2', ...root])).toBe('Password updated\n');
    expect((await cluster.kite(['get', '/app1/x', '--user', 'alice:alicepw'])).code).toBe(1);
    expect(await ok(['get', '/app1/x', '--user', 'alice:pw2'])).toBe('/app1/x\nv\n');
    await ok(['role', 'revoke-permission', 'app1', '/app1/', '--prefix', ...root]);
    expect((await cluster.kite(['get', '/app1/x', '--user', 'alice:pw2'])).code).toBe(1);
    await ok(['user', 'revoke-role', 'alice', 'app1', ...root]);
    await ok(['user', 'delete', 'alice', ...root]);
    await ok(['role', 'delete', 'app1', ...root]);
    expect(await ok(['auth', 'disable', ...root])).toBe('Authentication Disabled\n');
    expect(await ok(['get', '/app1/x'])).toBe('/app1/x\nv\n');
  });
});
