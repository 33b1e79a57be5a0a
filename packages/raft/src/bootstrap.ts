// Bootstrapping a brand-new cluster: the initial configuration is written INTO THE LOG, as
// `addVoter` conf-change entries at indexes 1..N of term 1, committed (as etcd does). Every
// member's configuration is then a function of its log alone, starting from the empty
// configuration at index 0:
// - an initial member starts with these entries (identical bytes on every initial member: the
//   voters are sorted) and applies them like any committed conf change;
// - a joining member starts EMPTY (no entries, no HardState, empty ConfState) and rebuilds the
//   configuration by replaying the leader's log from index 1 (or by installing a snapshot,
//   which carries the configuration at its index).
// Starting a joiner with some other configuration, or initial members without the entries,
// makes members disagree about the configuration at index 0; a joiner could then apply its
// own `addVoter` to an empty configuration and elect itself alone (sim finding 2). The core
// asserts against exactly that (Raft.applyConfChange).
//
// Term 1 belongs to the bootstrap: the HardState starts at term 1, so the first election is
// for term 2 and no leader ever writes at term 1.

import type { MemoryStorage } from './storage.js';
import { encodeConfChange } from './confchange/codec.js';
import { ConfigError } from './errors.js';
import type { ConfChange, Entry, HardState, NodeId, Term } from './types.js';

/** The term of the bootstrap entries (and of every initial member's first HardState). */
export const bootstrapTerm: Term = 1;
/** Initial voters accepted by bootstrap (a named limit; etcd clusters are 1-7 members). */
export const bootstrapVotersMax = 64;

/** What an initial member must have durable before its first RawNode starts. */
export interface BootstrapState {
  /** `addVoter` entries at indexes 1..N, term 1, one per initial voter (sorted by id). */
  readonly entries: readonly Entry[];
  /** term 1, no vote, commit N: the entries are committed by construction. */
  readonly hardState: HardState;
}

/**
 * The log and HardState of an initial member of a new cluster with `voters`. Hosts with their
 * own durable log persist these (with an empty snapshot at index 0) before the first start;
 * after that, a restart is an ordinary restart. `contextOf` gives each entry's host context
 * (e.g. the member's peer URLs, as a later `addVoter` would carry); it must return the same
 * bytes on every initial member. Throws ConfigError for an empty, oversized or duplicated
 * voter list.
 */
export function bootstrapState(
  voters: readonly NodeId[],
  contextOf?: (id: NodeId) => Uint8Array | undefined,
): BootstrapState {
  if (voters.length === 0) throw new ConfigError('bootstrap needs at least one voter');
  if (voters.length > bootstrapVotersMax) throw new ConfigError(`bootstrap takes at most ${bootstrapVotersMax} voters`);
  if (voters.some((id) => id === '')) throw new ConfigError('bootstrap voter ids must not be empty');
  const sorted = [...voters].sort();
  if (new Set(sorted).size !== sorted.length) throw new ConfigError(`bootstrap voters repeat an id: ${sorted.join(', ')}`);
  const entries: Entry[] = sorted.map((nodeId, i) => {
    const context = contextOf?.(nodeId);
    const cc: ConfChange = context === undefined ? { type: 'addVoter', nodeId } : { type: 'addVoter', nodeId, context };
    return { term: bootstrapTerm, index: i + 1, type: 'confChange', data: encodeConfChange(cc) };
  });
  return { entries, hardState: { term: bootstrapTerm, vote: null, commit: entries.length } };
}

/**
 * Writes `bootstrapState(voters)` into a brand-new MemoryStorage (no entries, no snapshot,
 * empty HardState and ConfState). Throws ConfigError if the storage is not brand-new: a
 * member that has state restarts from it and must never be bootstrapped again.
 */
export function bootstrap(
  storage: MemoryStorage,
  voters: readonly NodeId[],
  contextOf?: (id: NodeId) => Uint8Array | undefined,
): void {
  const { hardState, confState } = storage.initialState();
  const fresh =
    storage.lastIndex() === 0 &&
    storage.snapshot().metadata.index === 0 &&
    hardState.term === 0 &&
    hardState.vote === null &&
    hardState.commit === 0 &&
    confState.voters.length === 0 &&
    confState.learners.length === 0;
  if (!fresh) throw new ConfigError('bootstrap needs a brand-new storage (no entries, no snapshot, no HardState, no configuration)');
  const state = bootstrapState(voters, contextOf);
  storage.append(state.entries);
  storage.setHardState(state.hardState);
}
