// The key tree as an ARIA tree: one flat list of visible rows (folders open in place), one tab
// stop (the focused row; roving tabindex), arrow keys move, Right opens a folder or enters it,
// Left closes it or goes to the parent, Enter/Space opens a folder or shows a key, Home/End
// jump. Each open folder shows at most one page of rows per range read; "Load more" reads the
// next page. Rows changed by a watch are marked until looked at.
import { useEffect, useRef, useState } from 'preact/hooks';
import { navigate } from '../router.js';
import type { KeyTreeStore } from './key-tree-store.js';
import type { TreeRow } from './tree-model.js';

type Item =
  | { readonly kind: 'row'; readonly row: TreeRow; readonly depth: number; readonly parent: string; readonly id: string }
  | { readonly kind: 'more'; readonly prefix: string; readonly depth: number; readonly parent: string; readonly id: string }
  | { readonly kind: 'note'; readonly text: string; readonly depth: number; readonly error: boolean; readonly id: string };

function visibleItems(store: KeyTreeStore, prefix: string, depth: number, out: Item[]): void {
  const f = store.folder(prefix);
  if (f === undefined) return;
  if (f.error !== null) out.push({ kind: 'note', text: f.error, depth, error: true, id: `note:${prefix}` });
  const level = f.level;
  if (level === null) {
    if (f.loading) out.push({ kind: 'note', text: 'Loading…', depth, error: false, id: `load:${prefix}` });
    return;
  }
  if (level.rows.length === 0) out.push({ kind: 'note', text: '(empty)', depth, error: false, id: `empty:${prefix}` });
  for (const row of level.rows) {
    out.push({ kind: 'row', row, depth, parent: prefix, id: `${row.kind}:${row.path}` });
    if (row.kind === 'folder' && store.isOpen(row.path)) visibleItems(store, row.path, depth + 1, out);
  }
  if (level.nextStart !== null) out.push({ kind: 'more', prefix, depth, parent: prefix, id: `more:${prefix}` });
}

export function KeyTree(props: { readonly store: KeyTreeStore; readonly root: string; readonly selected: string | null }) {
  const { store } = props;
  const items: Item[] = [];
  visibleItems(store, props.root, 1, items);
  const focusable = items.filter((i) => i.kind !== 'note');
  const [focusId, setFocusId] = useState<string | null>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const wantFocus = useRef(false);
  const current = focusable.find((i) => i.id === focusId)
    ?? focusable.find((i) => i.kind === 'row' && i.row.path === props.selected)
    ?? focusable[0];

  useEffect(() => {
    if (!wantFocus.current || current === undefined) return;
    wantFocus.current = false;
    listRef.current?.querySelector<HTMLElement>(`[data-id="${CSS.escape(current.id)}"]`)?.focus();
  });

  const moveTo = (item: Item | undefined): void => {
    if (item === undefined) return;
    wantFocus.current = true;
    setFocusId(item.id);
  };

  const activate = (item: Item): void => {
    if (item.kind === 'more') void store.loadMore(item.prefix);
    else if (item.kind === 'row') {
      if (item.row.kind === 'folder') {
        if (store.isOpen(item.row.path)) store.close(item.row.path);
        else void store.open(item.row.path);
      } else {
        store.markSeen(item.parent, item.row.path);
        navigate('keys', item.row.path);
      }
    }
    moveTo(item);
  };

  const onKeyDown = (ev: KeyboardEvent): void => {
    if (current === undefined) return;
    const at = focusable.indexOf(current);
    switch (ev.key) {
      case 'ArrowDown': moveTo(focusable[at + 1]); break;
      case 'ArrowUp': moveTo(focusable[at - 1]); break;
      case 'Home': moveTo(focusable[0]); break;
      case 'End': moveTo(focusable[focusable.length - 1]); break;
      case 'ArrowRight':
        if (current.kind === 'row' && current.row.kind === 'folder') {
          if (!store.isOpen(current.row.path)) void store.open(current.row.path);
          else moveTo(focusable[at + 1]);
        }
        break;
      case 'ArrowLeft':
        if (current.kind === 'row' && current.row.kind === 'folder' && store.isOpen(current.row.path)) store.close(current.row.path);
        else moveTo(focusable.find((i) => i.kind === 'row' && i.row.path === current.parent));
        break;
      case 'Enter':
      case ' ':
        activate(current);
        break;
      default:
        return;
    }
    ev.preventDefault();
  };

  return (
    <ul class="tree" role="tree" aria-label="Keys" ref={listRef} onKeyDown={onKeyDown}>
      {items.map((item) => {
        const indent = { paddingLeft: `${(item.depth - 1) * 16 + 6}px` };
        if (item.kind === 'note') {
          return <li key={item.id} role="none" class={item.error ? 'note error' : 'note muted'} style={indent}>{item.text}</li>;
        }
        const tabIndex = item === current ? 0 : -1;
        if (item.kind === 'more') {
          return (
            <li key={item.id} role="treeitem" aria-level={item.depth} data-id={item.id} tabIndex={tabIndex} class="more" style={indent}
              onClick={() => activate(item)}>Load more…</li>
          );
        }
        const row = item.row;
        const open = row.kind === 'folder' ? store.isOpen(row.path) : undefined;
        const selected = row.kind === 'key' && row.path === props.selected;
        return (
          <li key={item.id} role="treeitem" aria-level={item.depth} aria-expanded={open} aria-selected={row.kind === 'key' ? selected : undefined}
            data-id={item.id} data-path={row.path} data-kind={row.kind} tabIndex={tabIndex}
            class={`${row.kind}${row.changed ? ' changed' : ''}${selected ? ' selected' : ''}`} style={indent}
            onClick={() => activate(item)}>
            <span aria-hidden="true" class="twisty">{row.kind === 'folder' ? (open === true ? '▾' : '▸') : ''}</span>
            <span class="mono">{row.name}</span>
            {row.changed && <span class="sr-only"> (changed)</span>}
          </li>
        );
      })}
    </ul>
  );
}
