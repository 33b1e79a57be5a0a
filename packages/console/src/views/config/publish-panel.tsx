// Publishing the draft: as a release every instance runs, or as a gray release that only the
// instances a rule selects run (a stable percentage, labels, or ids/addresses — the rule kinds
// of @kite/config's gray-rule.ts, parsed by its parseGrayRule). Both guard on the release the
// operator reviewed (`expectBase`), so a release made by someone else meanwhile is refused with
// a ReleaseConflict naming it instead of being silently built upon.
import { useState } from 'preact/hooks';
import { parseGrayRule, type ConfigAdmin, type GrayRule } from '@kite/config';
import { useAction } from './action-status.js';
import type { AppData } from './app-data.js';
import { errorText } from '../../error-text.js';

export type RuleKind = 'percent' | 'labels' | 'ids';
const RULE_HINT: Readonly<Record<RuleKind, string>> = {
  percent: 'share of instances, 0 to 100 (e.g. 25)',
  labels: 'label=value pairs, comma-separated (e.g. zone=a,tier=web)',
  ids: 'instance ids or addresses, comma-separated',
};

/** The rule the form describes (throws InvalidArgument with the reason). */
export function ruleFromForm(kind: RuleKind, text: string): GrayRule {
  return parseGrayRule(`${kind}=${text.trim()}`);
}

export function describeRule(rule: GrayRule): string {
  switch (rule.kind) {
    case 'percentage':
      return `${rule.percent}% of instances`;
    case 'labels':
      return `instances labelled ${Object.entries(rule.labels).map(([k, v]) => `${k}=${v}`).join(', ')}`;
    case 'instances':
      return `instances ${rule.ids.join(', ')}`;
  }
}

export function RuleFields({ idPrefix, labelPrefix, kind, text, onKind, onText }: {
  idPrefix: string; labelPrefix: string; kind: RuleKind; text: string; onKind(k: RuleKind): void; onText(t: string): void;
}) {
  return (
    <>
      <label for={`${idPrefix}-kind`}>{labelPrefix} rule</label>
      <select id={`${idPrefix}-kind`} value={kind} onChange={(e) => onKind(e.currentTarget.value as RuleKind)}>
        <option value="percent">Share of instances</option>
        <option value="labels">Labels</option>
        <option value="ids">Instance ids or addresses</option>
      </select>
      <label for={`${idPrefix}-value`}>{labelPrefix} rule value</label>
      <input id={`${idPrefix}-value`} value={text} aria-describedby={`${idPrefix}-hint`} autoComplete="off"
        onInput={(e) => onText(e.currentTarget.value)} />
      <small id={`${idPrefix}-hint`}>{RULE_HINT[kind]}</small>
    </>
  );
}

export function PublishPanel({ admin, data, author }: { admin: ConfigAdmin; data: AppData; author: string }) {
  const [message, setMessage] = useState('');
  const [kind, setKind] = useState<RuleKind>('percent');
  const [ruleText, setRuleText] = useState('');
  const action = useAction();
  const { head, drafts } = data.state;
  const expectBase = head.release;
  const blocked = head.gray !== null ? `Gray release ${head.gray.release} is active: promote or abort it first.`
    : drafts.size === 0 ? 'Nothing is staged.' : null;

  const release = (): void => {
    void action.run(async () => {
      const r = await admin.publish({ message, author, expectBase });
      setMessage('');
      return `Released ${r.number}.`;
    });
  };
  const gray = (): void => {
    let rule: GrayRule;
    try {
      rule = ruleFromForm(kind, ruleText);
    } catch (err) {
      action.fail(errorText(err));
      return;
    }
    void action.run(async () => {
      const r = await admin.grayStart({ message, author, expectBase, rule });
      setMessage('');
      return `Gray release ${r.number} started for ${describeRule(rule)}.`;
    });
  };

  return (
    <section aria-labelledby="publish-heading" class="panel">
      <h2 id="publish-heading">Publish the draft</h2>
      {blocked !== null && <p>{blocked}</p>}
      <form onSubmit={(e) => { e.preventDefault(); release(); }}>
        <label for="publish-message">Release message</label>
        <input id="publish-message" value={message} required autoComplete="off" onInput={(e) => setMessage(e.currentTarget.value)} />
        <p>Reviewed against release {expectBase === 0 ? '(none)' : expectBase}; publishing is refused if another release lands first.</p>
        <button type="submit" disabled={action.busy || blocked !== null}>Release</button>
        <fieldset>
          <legend>Gray release</legend>
          <RuleFields idPrefix="gray-start" labelPrefix="Gray" kind={kind} text={ruleText} onKind={setKind} onText={setRuleText} />
          <button type="button" disabled={action.busy || blocked !== null || message === ''} onClick={gray}>Start gray release</button>
        </fieldset>
      </form>
      {action.status}
    </section>
  );
}
