// The keys view (#/keys/<key>, or #/keys/<folder>/): the live prefix tree beside the selected
// key. A deep link opens every folder above the key (one range each) and shows it.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { KeyTree } from '../keys/key-tree.js';
import { KeyTreeStore } from '../keys/key-tree-store.js';
import { ancestorsOf } from '../keys/tree-model.js';
import { NewKeyForm } from '../keys/new-key-form.js';
import { ValuePanel } from '../keys/value-panel.js';
import type { ViewProps } from './registry.js';

/** The tree starts at every key ('' prefix). */
const ROOT = '';

export function KeysView({ session, param }: ViewProps) {
  const [, setVersion] = useState(0);
  const store = useMemo(() => new KeyTreeStore(session.client, () => setVersion((v) => v + 1)), [session.client]);
  useEffect(() => () => store.dispose(), [store]);
  useEffect(() => {
    void store.open(ROOT);
  }, [store]);
  useEffect(() => {
    if (param === '') return;
    for (const folder of ancestorsOf(param)) void store.open(folder);
    // A link to a folder (#/keys/app/) opens the folder itself too.
    if (param.endsWith('/')) void store.open(param);
  }, [store, param]);
  const selected = param === '' || param.endsWith('/') ? null : param;
  const [creating, setCreating] = useState(false);
  // A new key starts in the folder being browsed (the selected key's folder).
  const folder = param.slice(0, param.lastIndexOf('/') + 1);

  return (
    <section class="keys" aria-labelledby="keys-title">
      <div class="title-row">
        <h1 id="keys-title">Keys</h1>
        <button type="button" onClick={() => setCreating(true)} disabled={creating}>New key</button>
      </div>
      <div class="keys-split">
        <div class="tree-pane">
          <KeyTree store={store} root={ROOT} selected={selected} />
        </div>
        <div class="value-pane">
          {creating
            ? <NewKeyForm client={session.client} prefix={folder} onClose={() => setCreating(false)} />
            : selected === null
              ? <p class="muted">Choose a key in the tree (arrow keys move, Enter opens).</p>
              : <ValuePanel client={session.client} keyPath={selected} />}
        </div>
      </div>
    </section>
  );
}
