// The keys view (#/keys/<key>): the live prefix tree beside the selected key. A deep link opens
// every folder above the key (one range each) and shows it.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { KeyTree } from '../keys/key-tree.js';
import { KeyTreeStore } from '../keys/key-tree-store.js';
import { ancestorsOf } from '../keys/tree-model.js';
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
  }, [store, param]);
  const selected = param === '' || param.endsWith('/') ? null : param;

  return (
    <section class="keys" aria-labelledby="keys-title">
      <h1 id="keys-title">Keys</h1>
      <div class="keys-split">
        <div class="tree-pane">
          <KeyTree store={store} root={ROOT} selected={selected} />
        </div>
        <div class="value-pane">
          {selected === null
            ? <p class="muted">Choose a key in the tree (arrow keys move, Enter opens).</p>
            : <ValuePanel client={session.client} keyPath={selected} />}
        </div>
      </div>
    </section>
  );
}
