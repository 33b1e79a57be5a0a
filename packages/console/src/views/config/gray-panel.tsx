// The active gray release: which release, for which instances (the rule), how far it has
// reached (instances that must run it and those that report running it, from the live instance
// records), and the three ways on: change the rule (a growing share only adds instances),
// promote (everyone runs it) or abort (everyone goes back).
import { useState } from 'preact/hooks';
import type { ConfigAdmin, GrayState } from '@kite/config';
import { useAction } from './action-status.js';
import type { AppData } from './app-data.js';
import { ConfirmButton } from './confirm-button.js';
import { errorText } from '../../error-text.js';
import { describeRule, RuleFields, ruleFromForm, type RuleKind } from './publish-panel.js';
import { configHref } from './routes.js';

export function GrayPanel({ admin, data, gray, author }: { admin: ConfigAdmin; data: AppData; gray: GrayState; author: string }) {
  const [kind, setKind] = useState<RuleKind>(gray.rule.kind === 'percentage' ? 'percent' : gray.rule.kind === 'labels' ? 'labels' : 'ids');
  const [ruleText, setRuleText] = useState('');
  const action = useAction();
  const insts = data.instances.instances;
  const selected = insts.filter((i) => i.expected === gray.release);
  const running = selected.filter((i) => i.status === 'current');

  const update = (e: Event): void => {
    e.preventDefault();
    try {
      const rule = ruleFromForm(kind, ruleText);
      void action.run(async () => {
        await admin.grayUpdate({ author, rule });
        return `Gray release ${gray.release} now reaches ${describeRule(rule)}.`;
      });
    } catch (err) {
      action.fail(errorText(err));
    }
  };

  return (
    <section aria-labelledby="gray-heading" class="panel gray">
      <h2 id="gray-heading">Gray release {gray.release}</h2>
      <dl class="gray-status">
        <dt>Release</dt><dd><a href={configHref(admin.ref, gray.release)}>{gray.release}</a> (others run {data.state.head.release === 0 ? 'nothing' : data.state.head.release})</dd>
        <dt>Rule</dt><dd data-testid="gray-rule">{describeRule(gray.rule)}</dd>
        <dt>Started</dt><dd>by {gray.author} at <time dateTime={gray.startedAt}>{new Date(gray.startedAt).toLocaleString()}</time></dd>
        <dt>Reached</dt><dd data-testid="gray-reach">{running.length} of {selected.length} selected instances run it ({insts.length} instances live)</dd>
      </dl>
      <form onSubmit={update}>
        <RuleFields idPrefix="gray-update" labelPrefix="New gray" kind={kind} text={ruleText} onKind={setKind} onText={setRuleText} />
        <button type="submit" disabled={action.busy}>Change rule</button>
      </form>
      <ConfirmButton label="Promote" question={`Promote gray release ${gray.release} to every instance?`} disabled={action.busy}
        onConfirm={() => action.run(async () => `Promoted: every instance runs release ${(await admin.grayPromote({ author })).release}.`)} />{' '}
      <ConfirmButton label="Abort" question={`Abort gray release ${gray.release}? Its instances go back to release ${data.state.head.release}.`} disabled={action.busy}
        onConfirm={() => action.run(async () => `Aborted: every instance runs release ${(await admin.grayAbort({ author })).release}.`)} />
      {action.status}
    </section>
  );
}
