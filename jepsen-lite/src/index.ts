// Public surface of @kite/jepsen-lite: the history format and the checkers. The runner,
// nemeses and report build on these.
export * from './history/index.js';
export * from './checkers/index.js';
