// A register per key with read / write / cas, and a version counter bumped by every write and
// successful cas (like etcd's per-key `version`). A read may report just the value, or
// `{value, version}` to have the version checked too. `null` is the absent value.
// Conventions: cas invokes with value [expected, new]; a cas whose compare did not hold completes
// `ok` with value `false` (it was served: the register held something else then); any other ok
// cas succeeded; a `fail` cas certainly had no effect (the search drops it).
//
// `prepare` specializes the model to one key's operations, using what the history can
// observe. A value that no read returns and no cas expects is unobservable: states holding
// different unobservable values behave the same from then on, so they share one memo key
// (and without versioned reads the version is unobservable too). An indeterminate write of an
// unobservable value ("blind write") can be dropped when reads carry no versions (taking
// effect or not changes nothing anyone sees); with versions it still bumps the version, so it
// stays, but all blind writes are interchangeable (symmetry class).

import { HistoryFormatError } from '../../history/errors.js';
import type { Json, Operation } from '../../history/types.js';
import { canonicalJson } from '../result.js';
import type { Model } from './model.js';

export interface RegisterState {
  readonly value: Json;
  readonly version: number;
}

const UNOBSERVABLE = '\u22a5';
/** Other operations in the history (txns, watches) are not the register's business. */
const REGISTER_FS: ReadonlySet<string> = new Set(['read', 'write', 'cas']);

const baseRegister: Model<RegisterState> = {
  name: 'register',
  init: { value: null, version: 0 },
  step(state, op) {
    switch (op.f) {
      case 'read':
        return readMatches(state, op.value) ? [state] : [];
      case 'write':
        return [{ value: op.invokeValue, version: state.version + 1 }];
      case 'cas': {
        const [expected, next] = casArgs(op);
        const holds = canonicalJson(state.value) === canonicalJson(expected);
        if (isCompareFalse(op)) return holds ? [] : [state];
        return holds ? [{ value: next, version: state.version + 1 }] : [];
      }
      default:
        throw new HistoryFormatError('MalformedHistory', `register model: unknown f ${op.f}`, op.invokeIndex);
    }
  },
  key: (s) => `${s.version}:${canonicalJson(s.value)}`,
  relevant: (op) => REGISTER_FS.has(op.f) && op.type !== 'fail' && !(op.type === 'info' && op.f === 'read'),
  describeOp(op) {
    const out = op.type === 'info' ? '?' : canonicalJson(op.value);
    if (op.f === 'read') return `#${op.id} read → ${out}`;
    if (op.f === 'cas') return `#${op.id} cas ${canonicalJson(op.invokeValue)}${op.type === 'info' ? ' (info)' : isCompareFalse(op) ? ' → false' : ''}`;
    return `#${op.id} ${op.f} ${canonicalJson(op.invokeValue)}${op.type === 'info' ? ' (info)' : ''}`;
  },
  describeState: (s) => `value=${canonicalJson(s.value)} version=${s.version}`,
};

export const registerModel: Model<RegisterState> = {
  ...baseRegister,
  prepare(ops) {
    const observed = new Set<string>();
    let versioned = false;
    for (const op of ops) {
      if (op.f === 'read' && op.type === 'ok') {
        versioned ||= isVersioned(op.value);
        observed.add(canonicalJson(isVersioned(op.value) ? op.value.value : op.value));
      }
      if (op.f === 'cas' && op.type !== 'fail') observed.add(canonicalJson(casArgs(op)[0]));
    }
    const visible = (v: Json): string => {
      const c = canonicalJson(v);
      return observed.has(c) ? c : UNOBSERVABLE;
    };
    const blind = (op: Operation): boolean =>
      op.type === 'info' && op.f === 'write' && !observed.has(canonicalJson(op.invokeValue));
    return {
      ...baseRegister,
      key: (s) => (versioned ? `${s.version}:${visible(s.value)}` : visible(s.value)),
      relevant: (op) => baseRegister.relevant(op) && !(blind(op) && !versioned),
      symmetryClass: (op) => (blind(op) ? 'blind-write' : null),
    };
  },
};

function readMatches(state: RegisterState, out: Json): boolean {
  if (isVersioned(out)) {
    return out.version === state.version && canonicalJson(out.value) === canonicalJson(state.value);
  }
  return canonicalJson(out) === canonicalJson(state.value);
}

function isVersioned(v: Json): v is { readonly value: Json; readonly version: number } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'version' in v &&
    typeof (v as { version?: unknown }).version === 'number' && 'value' in v;
}

/** A cas that was served and answered "the compare did not hold". */
export function isCompareFalse(op: Operation): boolean {
  return op.f === 'cas' && op.type === 'ok' && op.value === false;
}

function casArgs(op: Operation): readonly [Json, Json] {
  const v = op.invokeValue;
  if (!Array.isArray(v) || v.length !== 2) {
    throw new HistoryFormatError('MalformedHistory', `cas #${op.id} needs [expected, new]`, op.invokeIndex);
  }
  return [v[0] as Json, v[1] as Json];
}
