#!/usr/bin/env node
// Entry point of the `kite` command.
import { main } from './main.js';

// `kite watch ... | head -1`: the reader went away; that is a normal end, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

await main(process.argv.slice(2));
