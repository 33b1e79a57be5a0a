// The simulated host's state machine: a tiny durable KV map. Each write command carries a
// unique writeId and a key; applying it records {writeId, index} under the key, so a read can
// tell exactly which write it observed and at which log index. The map and its applied index
// change together (one atomic step per entry), like etcd's consistent index: after a crash the
// host restarts the core with applied = appliedIndex.

import type { Entry, LogIndex } from './core.js';
import { SimViolation } from './violation.js';

export interface WriteCommand {
  readonly writeId: number;
  readonly key: string;
}

export interface KvCell {
  readonly writeId: number;
  readonly index: LogIndex;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeWrite(cmd: WriteCommand): Uint8Array {
  return encoder.encode(JSON.stringify([cmd.writeId, cmd.key]));
}

export function decodeWrite(data: Uint8Array): WriteCommand {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  if (!Array.isArray(parsed) || typeof parsed[0] !== 'number' || typeof parsed[1] !== 'string') {
    throw new Error('kv-model: malformed write command');
  }
  return { writeId: parsed[0], key: parsed[1] };
}

export class KvStateMachine {
  private cells = new Map<string, KvCell>();
  private applied: LogIndex = 0;

  get appliedIndex(): LogIndex {
    return this.applied;
  }

  get(key: string): KvCell | undefined {
    return this.cells.get(key);
  }

  /**
   * Applies one committed entry. Returns the write it carried, or null for a leader no-op.
   * Entries must arrive exactly in order: a gap or a repeat is a broken host/core contract.
   */
  apply(entry: Entry): WriteCommand | null {
    if (entry.index !== this.applied + 1) {
      throw new SimViolation('Apply Order', `apply index ${entry.index} after applied ${this.applied}`);
    }
    this.applied = entry.index;
    if (entry.type !== 'normal' || entry.data.length === 0) return null;
    const cmd = decodeWrite(entry.data);
    this.cells.set(cmd.key, { writeId: cmd.writeId, index: entry.index });
    return cmd;
  }

  snapshotData(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.cells.entries()]));
  }

  restore(index: LogIndex, data: Uint8Array): void {
    const parsed = JSON.parse(decoder.decode(data)) as [string, KvCell][];
    this.cells = new Map(parsed);
    this.applied = index;
  }
}
