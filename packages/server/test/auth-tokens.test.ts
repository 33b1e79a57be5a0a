// Token providers: simple tokens expire on the injected monotonic clock and are bounded; JWT
// tokens verify with the matching public key only, and a tampered token is refused.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JwtTokens } from '../src/auth/jwt-tokens.js';
import { SimpleTokens } from '../src/auth/tokens.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kite-jwt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function keyFiles(name: string): { priv: string; pub: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const priv = path.join(dir, `${name}.key`);
  const pub = path.join(dir, `${name}.pub`);
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub };
}

describe('auth tokens', () => {
  it('simple tokens are valid until their TTL passes on the monotonic clock', async () => {
    let now = 1000;
    const tokens = new SimpleTokens(10, () => now);
    const { token, ttlSeconds } = await tokens.issue({ user: 'alice', changedAt: 3 });
    expect(ttlSeconds).toBe(10);
    expect(await tokens.verify(token)).toEqual({ claims: { user: 'alice', changedAt: 3 }, leftMs: 10_000 });
    expect(await tokens.verify(`${token}x`)).toBeNull();
    now += 10_000;
    expect(await tokens.verify(token)).toBeNull();
  });

  it('jwt tokens verify on any member with the public key, never with another key or when tampered', async () => {
    const a = keyFiles('a');
    const b = keyFiles('b');
    const issuer = await JwtTokens.open(a.priv, a.pub, 'EdDSA', 60);
    const otherMember = await JwtTokens.open(a.priv, a.pub, 'EdDSA', 60);
    const stranger = await JwtTokens.open(b.priv, b.pub, 'EdDSA', 60);
    const { token } = await issuer.issue({ user: 'alice', changedAt: 7 });
    const v = await otherMember.verify(token);
    expect(v?.claims).toEqual({ user: 'alice', changedAt: 7 });
    expect(v!.leftMs).toBeGreaterThan(0);
    expect(await stranger.verify(token)).toBeNull();
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'root' })).toString('base64url');
    expect(await otherMember.verify(`${h}.${forged}.${s}`)).toBeNull();
    await expect(JwtTokens.open(a.pub, a.pub, 'EdDSA', 60)).rejects.toThrow(/priv-key .* is not a usable EdDSA key/);
  });
});
