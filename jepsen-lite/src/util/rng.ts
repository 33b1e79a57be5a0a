// The run's seeded PRNG. Every random choice of a run (schedule, targets, workload operations,
// proxy drops and jitter) draws from a stream forked from the run's seed, so the plan of a run
// is reproducible from its seed (the interleaving with real processes is not). The generator
// is the project's one (@kite/protocol, reached through @kite/client: jepsen-lite imports
// nothing else of Kite); this module only names it for the harness.

export { createRng, type SeededRng as Rng } from '@kite/client';
