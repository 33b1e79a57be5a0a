// Test helpers: the client package's in-memory store model, and a wrapper around it that can
// be "down" (every call fails with Unavailable, as a client with no reachable member does).
import { KiteError } from '@kite/protocol';
import type { RecipeClient } from '@kite/client';
import { KvModel } from '../../client/test/recipes-kv-model.js';

export { KvModel };

export class SwitchableClient implements RecipeClient {
  down = false;
  constructor(readonly model: KvModel) {}

  private check(): void {
    if (this.down) throw new KiteError('Unavailable', 'no member reachable (test)');
  }

  get: RecipeClient['get'] = async (key, opts) => {
    this.check();
    return this.model.get(key, opts);
  };

  delete: RecipeClient['delete'] = async (key, opts) => {
    this.check();
    return this.model.delete(key, opts);
  };

  txn: RecipeClient['txn'] = async (args) => {
    this.check();
    return this.model.txn(args);
  };

  watch: RecipeClient['watch'] = (key, opts) => {
    if (this.down) {
      const err = new KiteError('Unavailable', 'no member reachable (test)');
      return { cancel: () => undefined, [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }) };
    }
    return this.model.watch(key, opts);
  };

  readonly lease: RecipeClient['lease'] = {
    grant: async (ttl) => {
      this.check();
      return this.model.lease.grant(ttl);
    },
  };
}

/** Polls `check` on the event loop until it holds (bounded). */
export async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
