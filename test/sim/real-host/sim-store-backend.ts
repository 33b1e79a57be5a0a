// The store's backend in the host simulation: the memory backend with a power cut's effect on
// an unsynced store. Writes are volatile until a durability barrier (flush, a synced write, or a
// committed replace, which LevelBackend makes durable); a crash reverts the store to the last
// barrier. So the host's recovery of lost store batches from the Raft log tail (host.ts,
// recover/replayTail, contract step 10) runs in the simulation too. A replace (a snapshot
// restore) commits through `commitGate`, a simulated disk call of the incarnation (LevelBackend
// renames ACTIVE), so a power cut can fall right before the switch: between the install's reads
// of the staged file and the store taking it.

import { MemoryBackend, type BackendEntry } from '@kite/kvstore';

type Durable = { data: Map<string, Uint8Array> };

/** Completes as one simulated disk call (member.ts); never, once the incarnation died. */
export type CommitGate = () => Promise<void>;

const ungated: CommitGate = () => Promise.resolve();

export class SimStoreBackend extends MemoryBackend {
  private constructor(
    data: Map<string, Uint8Array>,
    private readonly durable: Durable,
    private readonly commitGate: CommitGate,
  ) {
    super(data);
  }

  static create(): SimStoreBackend {
    return new SimStoreBackend(new Map(), { data: new Map() }, ungated);
  }

  /** What a restarted process finds: the live contents (kill -9), or the durable ones after a power cut. */
  reopenedAfter(powerCut: boolean, commitGate: CommitGate = ungated): SimStoreBackend {
    return new SimStoreBackend(powerCut ? new Map(this.durable.data) : this.data, this.durable, commitGate);
  }

  override async write(ops: Parameters<MemoryBackend['write']>[0], options: { readonly sync: boolean } = { sync: false }): Promise<void> {
    await super.write(ops, options);
    if (options.sync) this.barrier();
  }

  override async stageReplace(source: AsyncIterable<readonly BackendEntry[]>): ReturnType<MemoryBackend['stageReplace']> {
    const staged = await super.stageReplace(source);
    return {
      commit: async () => {
        await this.commitGate();
        await staged.commit();
        this.barrier();
      },
      abort: () => staged.abort(),
    };
  }

  override async flush(): Promise<void> {
    this.barrier();
  }

  private barrier(): void {
    this.durable.data = new Map(this.data);
  }
}
