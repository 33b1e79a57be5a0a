// Recipes built on the client: lock, election, mirror, a key's history and guarded rollback. Export from the package index with
// `export * from './recipes/index.js'`.
export { lock, LOCK_PREFIX, DEFAULT_LOCK_TTL_SECONDS, type LockHandle, type LockOptions } from './lock.js';
export { election, Election, ELECTION_PREFIX, DEFAULT_ELECTION_TTL_SECONDS, type ElectionOptions, type LeaderInfo } from './election.js';
export { mirror, Mirror, MIRROR_PAGE_KEYS, MIRROR_RESYNCS_MAX, type MirrorChange, type MirrorEvents, type MirrorOptions } from './mirror.js';
export {
  keyHistory, keyAuthors, planRollback, applyRollback, HISTORY_EVENTS_MAX, HISTORY_WAIT_MS,
  type KeyHistory, type KeyHistoryEntry, type RevisionAuthor, type RollbackPlan, type RollbackOutcome,
} from './key-history.js';
export { RecipeError, isRecipeError, type RecipeErrorCode } from './errors.js';
export type { RecipeClient, RecipeLease, RecipeWatch, RecipeWatchBatch } from './client-surface.js';
