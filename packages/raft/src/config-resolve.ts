// Fills in RaftConfig defaults and rejects unusable combinations (ConfigError).

import type { RaftConfig, ResolvedRaftConfig } from './config.js';
import { ConfigError } from './errors.js';
import { NO_TEST_HOOKS } from './test-hooks.js';

const MiB = 1024 * 1024;

export function resolveConfig(c: RaftConfig): ResolvedRaftConfig {
  const electionTicks = c.electionTicks;
  const resolved: ResolvedRaftConfig = {
    id: c.id,
    storage: c.storage,
    rng: c.rng,
    electionTicks,
    heartbeatTicks: c.heartbeatTicks,
    applied: c.applied ?? 0,
    preVote: c.preVote ?? true,
    checkQuorum: c.checkQuorum ?? true,
    readOnly: c.readOnly ?? 'safe',
    maxMsgBytes: c.maxMsgBytes ?? MiB,
    maxInflightMsgs: c.maxInflightMsgs ?? 256,
    maxUncommittedBytes: c.maxUncommittedBytes ?? 64 * MiB,
    maxCommittedBytesPerReady: c.maxCommittedBytesPerReady ?? 16 * MiB,
    maxPendingReadIndex: c.maxPendingReadIndex ?? 4096,
    leaseDriftTicks: c.leaseDriftTicks ?? Math.max(2, Math.floor(electionTicks / 5)),
    snapshotRetryTicks: c.snapshotRetryTicks ?? 10 * electionTicks,
    testHooks: c.testHooks ?? NO_TEST_HOOKS,
  };
  const positive = ['heartbeatTicks', 'electionTicks', 'maxMsgBytes', 'maxInflightMsgs', 'maxUncommittedBytes',
    'maxCommittedBytesPerReady', 'maxPendingReadIndex', 'snapshotRetryTicks'] as const;
  for (const k of positive) {
    if (!Number.isInteger(resolved[k]) || resolved[k] <= 0) throw new ConfigError(`${k} must be a positive integer`);
  }
  if (c.id === '') throw new ConfigError('id must not be empty');
  if (electionTicks <= resolved.heartbeatTicks) throw new ConfigError('electionTicks must be greater than heartbeatTicks');
  if (resolved.readOnly === 'leaseBased' && !resolved.checkQuorum) {
    throw new ConfigError("readOnly 'leaseBased' requires checkQuorum (a leader must step down when it loses its quorum)");
  }
  if (resolved.leaseDriftTicks < 0 || resolved.leaseDriftTicks >= electionTicks) {
    throw new ConfigError('leaseDriftTicks must be in [0, electionTicks)');
  }
  return resolved;
}
