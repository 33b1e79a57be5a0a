// The console's writes to one key, each a txn guarded by the modRevision the user was looking
// at: an edit or delete never overwrites a change made by someone else in the meantime (the
// user is told and sees the new value instead). An edit keeps the key's lease.
import { Cmp, KiteError, Op, type KeyValue, type KiteClient } from '@kite/client/browser';

export type WriteOutcome =
  | { readonly ok: true; readonly revision: number }
  | { readonly ok: false; readonly current: KeyValue | undefined };

/** Puts `value` if the key's modRevision is still `seenModRevision` (0: the key must not exist). */
export async function saveValue(client: KiteClient, key: string, value: string, seenModRevision: number, lease: number): Promise<WriteOutcome> {
  const r = await client.txn({
    compare: [Cmp.modRevision(key, '=', seenModRevision)],
    success: [Op.put(key, value, lease !== 0 ? { lease } : {})],
    failure: [Op.get(key)],
  });
  return outcome(r.succeeded, r.header.revision, r.responses);
}

/** Deletes the key if its modRevision is still `seenModRevision`. */
export async function deleteKey(client: KiteClient, key: string, seenModRevision: number): Promise<WriteOutcome> {
  const r = await client.txn({
    compare: [Cmp.modRevision(key, '=', seenModRevision)],
    success: [Op.delete(key)],
    failure: [Op.get(key)],
  });
  return outcome(r.succeeded, r.header.revision, r.responses);
}

function outcome(succeeded: boolean, revision: number, responses: Awaited<ReturnType<KiteClient['txn']>>['responses']): WriteOutcome {
  if (succeeded) return { ok: true, revision };
  const first = responses[0];
  if (first === undefined || first.type !== 'range') throw new KiteError('Internal', 'a failed guarded txn returned no read of the key');
  return { ok: false, current: first.kvs[0] };
}

/** What to tell the user when the guard failed. */
export function conflictText(current: KeyValue | undefined): string {
  return current === undefined
    ? 'Nothing was written: someone deleted this key since you opened it.'
    : `Nothing was written: someone changed this key since you opened it (now at revision ${current.modRevision}). Review the new value and try again.`;
}
