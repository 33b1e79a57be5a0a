// Public surface of @kite/jepsen-lite: the history format, the checkers, and the runner
// (run a test programmatically, re-check a finished run), plus the link proxy.
export * from './history/index.js';
export * from './checkers/index.js';
export { runTest, type RunOutcome, type RunHooks, type PhaseRecord } from './run/runner.js';
export { recheck } from './run/recheck.js';
export { defaultOptions, DEFAULT_SERVER_BIN, type RunOptions } from './run/options.js';
export { NEMESIS_NAMES, NEMESIS_GROUPS, expandNemeses, type NemesisName } from './nemesis/types.js';
export { WORKLOAD_NAMES, type WorkloadName } from './workloads/types.js';
export { LinkProxy, type LinkInfo } from './proxy/link-proxy.js';
export { writeDevCerts, makeCa, issueCert, issueMemberCert, type DevCertFiles, type DevCa, type PemPair } from './cluster/dev-certs.js';
