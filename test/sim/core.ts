// The single import point of the Raft core for the simulator. It imports the package source
// by relative path (not `@kite/raft`) so the same modules load under vitest (alias) and under
// `tsx test/sim/soak.ts` (where `@kite/raft` would resolve to a possibly stale dist/).

export * from '../../packages/raft/src/index.js';
