// One vitest config for the workspace. Unit and simulation tests import package sources
// directly (aliases below); integration tests spawn the built `kite` binary, so `pnpm test`
// builds first, then runs the unit project, then the integration project with one file at a
// time (2 cores: real processes must not compete with the CPU-heavy simulation).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string): string =>
  fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

const alias = {
  '@kite/raft': pkg('raft'),
  '@kite/kvstore': pkg('kvstore'),
  '@kite/protocol': pkg('protocol'),
  '@kite/client/browser': fileURLToPath(new URL('./packages/client/src/browser.ts', import.meta.url)),
  '@kite/client': pkg('client'),
  '@kite/config/node': fileURLToPath(new URL('./packages/config/src/node.ts', import.meta.url)),
  '@kite/config': pkg('config'),
  '@kite/server': pkg('server'),
  '@kite/cli': pkg('cli'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.ts', 'test/sim/**/*.test.ts', 'jepsen-lite/test/**/*.test.ts'],
          testTimeout: 120_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'packages/cli/test/**/*.itest.ts', 'jepsen-lite/test/**/*.itest.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
