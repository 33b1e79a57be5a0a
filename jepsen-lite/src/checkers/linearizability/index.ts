// Public surface of the linearizability checker.
export { checkLinearizability, LINEARIZABILITY_STEPS_PER_KEY_MAX } from './checker.js';
export type { LinearizabilityOptions } from './checker.js';
export type { Model } from './model.js';
export { registerModel } from './register-model.js';
export type { RegisterState } from './register-model.js';
export { searchLinearization } from './search.js';
export type { SearchOutcome } from './search.js';
