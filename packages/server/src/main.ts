#!/usr/bin/env node
// Standalone entry: `node packages/server/dist/main.js [kite server flags]`.
import { runServer } from './run-server.js';

runServer(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`kite server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
