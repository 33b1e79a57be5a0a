// Where the configuration center keeps its state: every key lives under CONFIG_PREFIX, one
// sub-tree per app. The layout is the model (see README.md "Keys"):
//   <app>/head              the app's single source of truth: current release, last number, gray
//   <app>/draft/<key>       a staged edit (a value, or a removal)
//   <app>/draft-seq         bumped by every draft edit, so a release can guard on "draft unchanged"
//   <app>/releases/<N>      immutable release record, N zero-padded so keys sort by number
//   <app>/outcome/<N>       immutable marker: how gray release N ended (promoted | aborted)
//   <app>/instances/<id>    an SDK instance's record, attached to its lease
import { prefixRangeEnd, toBytes } from '@kite/protocol';
import { checkApp, checkName, type AppRef } from './names.js';

/** Reserved prefix: nothing else in Kite writes here. */
export const CONFIG_PREFIX = '__kite/config/';
/** Release numbers are padded to this many digits so lexical order is numeric order. */
export const RELEASE_DIGITS = 10;

export interface KeyRange {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
}

export class AppKeys {
  readonly base: string;

  constructor(readonly ref: AppRef) {
    const r = checkApp(ref);
    this.base = `${CONFIG_PREFIX}apps/${r.namespace}/${r.app}/`;
  }

  get head(): Uint8Array {
    return toBytes(`${this.base}head`);
  }

  get draftSeq(): Uint8Array {
    return toBytes(`${this.base}draft-seq`);
  }

  draft(key: string): Uint8Array {
    return toBytes(`${this.base}draft/${checkName('key', key)}`);
  }

  get drafts(): KeyRange {
    return range(`${this.base}draft/`);
  }

  release(n: number): Uint8Array {
    return toBytes(`${this.base}releases/${String(n).padStart(RELEASE_DIGITS, '0')}`);
  }

  get releases(): KeyRange {
    return range(`${this.base}releases/`);
  }

  outcome(n: number): Uint8Array {
    return toBytes(`${this.base}outcome/${String(n).padStart(RELEASE_DIGITS, '0')}`);
  }

  get outcomes(): KeyRange {
    return range(`${this.base}outcome/`);
  }

  instance(id: string): Uint8Array {
    return toBytes(`${this.base}instances/${checkName('instance id', id)}`);
  }

  get instances(): KeyRange {
    return range(`${this.base}instances/`);
  }

  /** The last path segment of a key under one of the app's sub-trees. */
  static lastSegment(key: string): string {
    return key.slice(key.lastIndexOf('/') + 1);
  }
}

function range(prefix: string): KeyRange {
  const key = toBytes(prefix);
  return { key, rangeEnd: prefixRangeEnd(key) };
}
