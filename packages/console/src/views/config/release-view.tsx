// One release (deep link #/config/<ns>/<app>/releases/<n>): who published it, when, why,
// what it changed against the release it was diffed against, its status now (live), and
// rollback to it.
import type { KiteClient } from '@kite/client/browser';
import type { AppRef } from '@kite/config';
import { useAction } from './action-status.js';
import { AuthorField } from './app-view.js';
import { ConfirmButton } from './confirm-button.js';
import { ReleaseDiff } from './release-diff.js';
import { releaseKindText } from './releases-panel.js';
import { configHref } from './routes.js';
import { useAppData } from './use-app-data.js';
import { useAuthor } from './use-author.js';

export function ReleaseView({ client, user, appRef, release }: { client: KiteClient; user: string | null; appRef: AppRef; release: number }) {
  const { admin, data, error } = useAppData(client, appRef);
  const action = useAction();
  const { author, setAuthor } = useAuthor(user);
  const r = data?.releases.find((x) => x.number === release);
  const head = data?.state.head;
  return (
    <article aria-labelledby="release-heading" class="config-release">
      <nav aria-label="Breadcrumb">
        <a href={configHref()}>Configuration</a> / <a href={configHref(appRef)}>{appRef.namespace}/{appRef.app}</a> /
      </nav>
      <h1 id="release-heading">Release {release}</h1>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {data === null ? <p role="status">Loading…</p> : r === undefined ? <p role="alert">{appRef.namespace}/{appRef.app} has no release {release}.</p> : (
        <>
          <dl class="release-meta">
            <dt>Kind</dt><dd>{releaseKindText(r)}</dd>
            <dt>Status</dt><dd data-testid="release-status"><span class={`badge status-${r.status}`}>{r.status}</span></dd>
            <dt>Author</dt><dd data-testid="release-author">{r.author}</dd>
            <dt>Message</dt><dd>{r.message}</dd>
            <dt>Published</dt><dd><time dateTime={r.createdAt}>{new Date(r.createdAt).toLocaleString()}</time></dd>
            <dt>Keys</dt><dd>{Object.keys(r.content).length}</dd>
          </dl>
          <h2>Changes against {r.base === 0 ? 'the empty app' : <a href={configHref(appRef, r.base)}>release {r.base}</a>}</h2>
          <ReleaseDiff diff={r.diff} base={r.base} headingLevel={3} />
          {head !== undefined && r.number !== head.release && r.status !== 'gray' && (
            <>
              <AuthorField user={user} author={author} onAuthor={setAuthor} />
              <ConfirmButton label={`Roll back to ${r.number}`} question={`Publish release ${r.number}'s content as a new release?`} confirmLabel="Roll back"
              disabled={action.busy || head.gray !== null}
              onConfirm={() => action.run(async () => {
                const n = await admin.rollback({ to: r.number, author, message: `rollback to ${r.number}`, expectBase: head.release });
                return `Rolled back: release ${n.number} republishes release ${r.number}.`;
              })} />
            </>
          )}
          {action.status}
        </>
      )}
    </article>
  );
}
