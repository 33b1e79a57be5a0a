// Picks the token provider --auth-token names (tokens.ts: simple; jwt-tokens.ts: jwt).

import type { ServerConfig } from '../config.js';
import { JwtTokens } from './jwt-tokens.js';
import { SimpleTokens, type TokenProvider } from './tokens.js';

export async function tokenProvider(cfg: Pick<ServerConfig, 'authToken' | 'authTokenTtlSeconds'>): Promise<TokenProvider> {
  if (cfg.authToken.kind === 'simple') return new SimpleTokens(cfg.authTokenTtlSeconds);
  const t = cfg.authToken;
  return JwtTokens.open(t.privKeyFile, t.pubKeyFile, t.signMethod, cfg.authTokenTtlSeconds);
}
