// Picks the token provider --auth-token names (tokens.ts: simple; jwt-tokens.ts: jwt).

import type { ServerConfig } from '../config.js';
import { SimpleTokens, type TokenProvider } from './tokens.js';

export async function tokenProvider(cfg: Pick<ServerConfig, 'authToken' | 'authTokenTtlSeconds'>): Promise<TokenProvider> {
  if (cfg.authToken.kind === 'simple') return new SimpleTokens(cfg.authTokenTtlSeconds);
  throw new Error('jwt tokens are not available in this build');
}
