// Every release of the app, newest first: number (a link to its page with the diff), kind,
// status, author, message, time, and rollback — which publishes the chosen release's content
// as a NEW release (history is append-only), guarded on the release the operator saw.
import type { ConfigAdmin, ReleaseListing } from '@kite/config';
import { useAction } from './action-status.js';
import type { AppData } from './app-data.js';
import { ConfirmButton } from './confirm-button.js';
import { configHref } from './routes.js';

export function releaseKindText(r: ReleaseListing | { kind: ReleaseListing['kind']; rollbackOf?: number }): string {
  return r.kind === 'rollback' ? `rollback to ${r.rollbackOf ?? '?'}` : r.kind;
}

export function ReleasesPanel({ admin, data, author }: { admin: ConfigAdmin; data: AppData; author: string }) {
  const action = useAction();
  const { head } = data.state;
  const newestFirst = [...data.releases].reverse();
  const rollback = (to: number): Promise<boolean> =>
    action.run(async () => {
      const r = await admin.rollback({ to, author, message: `rollback to ${to}`, expectBase: head.release });
      return `Rolled back: release ${r.number} republishes release ${to}.`;
    });
  return (
    <section aria-labelledby="releases-heading" class="panel">
      <h2 id="releases-heading">Releases</h2>
      {newestFirst.length === 0 ? <p>No release yet.</p> : (
        <table class="releases">
          <thead>
            <tr><th scope="col">Release</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Author</th><th scope="col">Message</th><th scope="col">Time</th><th scope="col">Changes</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            {newestFirst.map((r) => (
              <tr key={r.number} data-release={r.number} data-status={r.status}>
                <th scope="row"><a href={configHref(admin.ref, r.number)}>{r.number}</a></th>
                <td>{releaseKindText(r)}</td>
                <td><span class={`badge status-${r.status}`}>{r.status}</span></td>
                <td>{r.author}</td>
                <td>{r.message}</td>
                <td><time dateTime={r.createdAt}>{new Date(r.createdAt).toLocaleString()}</time></td>
                <td>{r.diff.length} against {r.base === 0 ? 'empty' : r.base}</td>
                <td>
                  {r.number !== head.release && r.status !== 'gray' && (
                    <ConfirmButton label={`Roll back to ${r.number}`} question={`Publish release ${r.number}'s content as a new release?`}
                      confirmLabel="Roll back" disabled={action.busy || head.gray !== null} onConfirm={() => rollback(r.number)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {action.status}
    </section>
  );
}
