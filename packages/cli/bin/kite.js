#!/usr/bin/env node
// `kite` as the workspace installs it (node_modules/.bin/kite): runs the built CLI. The build
// happens once, at install (the root `prepare` script runs `tsc -b`), so a command starts
// without compiling anything; after changing the sources, `npx -y pnpm@9.15.9 build`.
try {
  await import('../dist/bin.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/bin.js')) throw err;
  process.stderr.write('kite is not built yet: run `npx -y pnpm@9.15.9 build` in the repository\n');
  process.exitCode = 1;
}
