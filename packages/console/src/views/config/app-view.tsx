// One app (namespace/app): its state at a glance, the draft, publishing, the active gray
// release, the releases and the instances — all from one live watch of the app's prefix.
// Author: use-author.ts (the login with auth on, else what the operator typed).
import type { KiteClient } from '@kite/client/browser';
import type { AppRef } from '@kite/config';
import { DraftPanel } from './draft-panel.js';
import { GrayPanel } from './gray-panel.js';
import { InstancesPanel } from './instances-panel.js';
import { PublishPanel } from './publish-panel.js';
import { ReleasesPanel } from './releases-panel.js';
import { configHref } from './routes.js';
import { useAppData } from './use-app-data.js';
import { useAuthor } from './use-author.js';

export function AuthorField({ user, author, onAuthor }: { user: string | null; author: string; onAuthor(a: string): void }) {
  return (
    <p class="author">
      <label for="config-author">Author</label>{' '}
      <input id="config-author" value={author} readOnly={user !== null} autoComplete="off"
        aria-describedby="config-author-hint" onInput={(e) => onAuthor(e.currentTarget.value)} />{' '}
      <small id="config-author-hint">{user !== null ? 'your login' : 'recorded with each release (auth is off)'}</small>
    </p>
  );
}

export function AppView({ client, user, appRef }: { client: KiteClient; user: string | null; appRef: AppRef }) {
  const { admin, data, error } = useAppData(client, appRef);
  const { author, setAuthor } = useAuthor(user);
  const name = `${appRef.namespace}/${appRef.app}`;
  return (
    <article aria-labelledby="app-heading" class="config-app">
      <nav aria-label="Breadcrumb"><a href={configHref()}>Configuration</a> / {appRef.namespace} /</nav>
      <h1 id="app-heading">{name}</h1>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {data === null ? <p role="status">Loading {name}…</p> : (
        <>
          <p data-testid="app-state">
            {data.state.head.release === 0 ? 'Nothing released yet.' : <>Instances run release <a href={configHref(appRef, data.state.head.release)}>{data.state.head.release}</a></>}
            {data.state.head.gray !== null && <>; gray release {data.state.head.gray.release} is active</>}
            {data.state.drafts.size > 0 && <>; {data.state.drafts.size} staged edit{data.state.drafts.size === 1 ? '' : 's'}</>}.
          </p>
          <AuthorField user={user} author={author} onAuthor={setAuthor} />
          {data.state.head.gray !== null && <GrayPanel key={data.state.head.gray.release} admin={admin} data={data} gray={data.state.head.gray} author={author} />}
          <DraftPanel admin={admin} data={data} />
          <PublishPanel admin={admin} data={data} author={author} />
          <ReleasesPanel admin={admin} data={data} author={author} />
          <InstancesPanel data={data} />
        </>
      )}
    </article>
  );
}
