// Workloads by name.
import { appendWorkload } from './append.js';
import { configWorkload } from './config.js';
import { leaseWorkload } from './lease.js';
import { lockWorkload } from './lock.js';
import { registerWorkload } from './register.js';
import { watchWorkload } from './watch.js';
import type { Workload, WorkloadName } from './types.js';

export * from './types.js';

export interface WorkloadSettings {
  readonly writeRetries: number;
}

export function createWorkload(name: WorkloadName, s: WorkloadSettings): Workload {
  switch (name) {
    case 'register':
      return registerWorkload(s.writeRetries);
    case 'append':
      return appendWorkload(s.writeRetries);
    case 'watch':
      return watchWorkload(s.writeRetries);
    case 'lock':
      return lockWorkload(true, s.writeRetries);
    case 'lock-unfenced':
      return lockWorkload(false, s.writeRetries);
    case 'lease':
      return leaseWorkload(s.writeRetries);
    case 'config':
      return configWorkload();
    default: {
      // Every name in WORKLOAD_NAMES has a case: a new name fails to compile here.
      const unknown: never = name;
      throw new RangeError(`unknown workload ${String(unknown)}`);
    }
  }
}
