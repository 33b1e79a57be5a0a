// JWT login tokens (--auth-token jwt,pub-key=FILE,priv-key=FILE,sign-method=ALG, etcd's flag):
// signed with jose, verifiable by every member that has the same public key, so a token from
// one member works on all. Claims: `sub` the user, `rev` the user's changedAt (a password or
// role change invalidates older tokens on every member), `exp`. Expiry is wall-clock time by
// nature (members share no other clock); a member's stepped clock shortens or stretches a
// token's life by the step, never more.

import { readFile } from 'node:fs/promises';
import { SignJWT, importPKCS8, importSPKI, jwtVerify, type CryptoKey, type KeyObject } from 'jose';
import type { IssuedToken, TokenClaims, TokenProvider } from './tokens.js';

const ISSUER = 'kite';

export class JwtTokens implements TokenProvider {
  private constructor(
    private readonly privateKey: CryptoKey | KeyObject,
    private readonly publicKey: CryptoKey | KeyObject,
    private readonly alg: string,
    private readonly ttlSeconds: number,
  ) {}

  /** Reads and imports the PEM key files; throws with the file named when one is unusable. */
  static async open(privKeyFile: string, pubKeyFile: string, alg: string, ttlSeconds: number): Promise<JwtTokens> {
    const load = async <K>(file: string, what: string, imp: (pem: string) => Promise<K>): Promise<K> => {
      try {
        return await imp(await readFile(file, 'utf8'));
      } catch (err) {
        throw new Error(`--auth-token jwt: ${what} ${file} is not a usable ${alg} key: ${(err as Error).message}`);
      }
    };
    const priv = await load(privKeyFile, 'priv-key', (pem) => importPKCS8(pem, alg));
    const pub = await load(pubKeyFile, 'pub-key', (pem) => importSPKI(pem, alg));
    return new JwtTokens(priv, pub, alg, ttlSeconds);
  }

  async issue(claims: TokenClaims): Promise<IssuedToken> {
    const token = await new SignJWT({ rev: claims.changedAt })
      .setProtectedHeader({ alg: this.alg })
      .setSubject(claims.user)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.privateKey);
    return { token, ttlSeconds: this.ttlSeconds };
  }

  async verify(token: string): Promise<{ claims: TokenClaims; leftMs: number } | null> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { issuer: ISSUER, algorithms: [this.alg] });
      if (typeof payload.sub !== 'string' || typeof payload['rev'] !== 'number' || typeof payload.exp !== 'number') return null;
      return { claims: { user: payload.sub, changedAt: payload['rev'] }, leftMs: payload.exp * 1000 - Date.now() };
    } catch {
      return null;
    }
  }
}
