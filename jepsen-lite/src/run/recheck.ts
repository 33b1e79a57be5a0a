// Re-checks a finished run from its directory: parses history.jsonl, runs the workload's
// checkers again (e.g. after a checker fix) and rewrites results.json and report.html. The
// runner's own results (the members check), phases, events and links are carried over from
// the previous results.json.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult } from '../checkers/index.js';
import { parseHistoryJsonl } from '../history/index.js';
import type { RunEvent } from '../nemesis/types.js';
import type { LinkInfo } from '../proxy/link-proxy.js';
import { createWorkload } from '../workloads/index.js';
import type { HostInfo } from './host-info.js';
import type { NetnsLayout } from '../cluster/netns-net.js';
import type { RunOptions } from './options.js';
import { finish, type PhaseRecord, type RunOutcome } from './runner.js';
import { maxOf } from '../util/max.js';

interface PreviousResults {
  readonly options: RunOptions;
  readonly memberEnv?: Readonly<Record<string, string>> | null;
  readonly host?: HostInfo | null;
  readonly phases?: readonly PhaseRecord[];
  readonly events?: readonly RunEvent[];
  readonly links?: readonly LinkInfo[];
  readonly aborted?: boolean;
  readonly error?: string | null;
  readonly checkers?: readonly CheckResult[];
  readonly netns?: NetnsLayout | null;
}

export function recheck(dir: string, log: (line: string) => void): RunOutcome {
  const parsed = JSON.parse(readFileSync(path.join(dir, 'results.json'), 'utf8')) as PreviousResults;
  // A run recorded before --server-env (or --net) existed passed no explicit settings (ran on the proxy).
  const prev: PreviousResults = { ...parsed, options: { ...parsed.options, serverEnv: parsed.options.serverEnv ?? {}, net: parsed.options.net ?? 'proxy' } };
  const entries = parseHistoryJsonl(readFileSync(path.join(dir, 'history.jsonl'), 'utf8'));
  const workload = createWorkload(prev.options.workload, { writeRetries: prev.options.writeRetries });
  const runError = prev.error != null && !prev.error.startsWith('checking:') ? prev.error : null;
  return finish({
    o: { ...prev.options, keepData: true },
    dir,
    entries,
    phases: prev.phases ?? [],
    events: prev.events ?? [],
    error: runError,
    endTimeNs: maxOf(entries.filter((e) => typeof e.process === 'number').map((e) => e.time), 0),
    aborted: prev.aborted === true,
    log,
    workloadCheck: workload.check,
    extra: (prev.checkers ?? []).filter((c) => c.checker === 'members'),
    links: prev.links ?? [],
    memberEnv: prev.memberEnv ?? null,
    host: prev.host ?? null,
    netns: prev.netns ?? null,
  });
}
