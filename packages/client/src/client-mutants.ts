// Deliberately broken client behaviour, for proving that jepsen-lite's client-link nemeses
// (client-delay, client-one-way) and its checkers find the bug each one plants. Off unless a
// client is created with `mutant` naming one (jepsen-lite passes --client-mutant to its
// workload clients); no environment variable or default turns one on, and a healthy client
// never reads anything here but `null`. An unknown name is a typed error.
//   lost-answer-as-failure a write whose answer never came (its link died after sending it, or
//                        the deadline hit while it waited) fails as a definite Unavailable
//                        instead of an indeterminate one: the caller is told it had no effect
//                        though it may have been applied. Only a lost answer shows it.
//   watch-resume-from-now a watch whose link died registers again "from now" (revision 0)
//                        instead of at its cursor's next undelivered revision: every event
//                        committed while it was away is silently skipped. Only a lost link
//                        shows it (a watch the caller re-creates passes its own start revision).

import { KiteError } from '@kite/protocol';

export const CLIENT_MUTANT_NAMES = ['lost-answer-as-failure', 'watch-resume-from-now'] as const;
export type ClientMutantName = (typeof CLIENT_MUTANT_NAMES)[number];

/** `name` as a client mutant, or null for none; an unknown name is an InvalidArgument error. */
export function parseClientMutant(name: string | null | undefined): ClientMutantName | null {
  if (name === undefined || name === null || name === '') return null;
  if (!(CLIENT_MUTANT_NAMES as readonly string[]).includes(name)) {
    throw new KiteError('InvalidArgument', `unknown client mutant ${JSON.stringify(name)} (known: ${CLIENT_MUTANT_NAMES.join(', ')})`);
  }
  return name as ClientMutantName;
}
