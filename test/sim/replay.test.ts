// Replays one case from the environment (SIM_SEED + SIM_SCHEDULE, as printed by a failing
// run; SIM_MUTANT optionally names a mutant from mutants.ts), or else the regression corpus.

import { describe, expect, it } from 'vitest';
import { isMutantName, mutants } from './mutants.js';
import { regressions } from './regressions.js';
import { assertCaseSafe } from './run.js';
import { decodeSchedule } from './schedule.js';

const seedEnv = process.env['SIM_SEED'];
const scheduleEnv = process.env['SIM_SCHEDULE'];
const mutantEnv = process.env['SIM_MUTANT'];

describe('simulation replay', () => {
  if (seedEnv !== undefined && scheduleEnv !== undefined) {
    it(`replays SIM_SEED=${seedEnv}${mutantEnv === undefined ? '' : ` with mutant ${mutantEnv}`}`, () => {
      if (mutantEnv !== undefined && !isMutantName(mutantEnv)) throw new Error(`unknown SIM_MUTANT ${mutantEnv}`);
      const mutate = mutantEnv === undefined ? undefined : mutants[mutantEnv];
      const stats = assertCaseSafe({ seed: Number(seedEnv), schedule: decodeSchedule(scheduleEnv) }, mutate);
      expect(stats.units).toBeGreaterThan(0);
    });
  } else {
    it.each(regressions)('$name', ({ simCase }) => {
      const stats = assertCaseSafe(simCase);
      expect(stats.leaderTerms).toBeGreaterThan(0);
      expect(stats.writesAcked).toBeGreaterThan(0);
    });
  }
});
