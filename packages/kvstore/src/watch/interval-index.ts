// A stabbing-query index over half-open key intervals [start, end) (end null = unbounded):
// a treap ordered by (start, id) where each node also keeps the largest end in its subtree.
// A query for key k visits O(log n + matches) nodes when intervals are mostly disjoint,
// because a subtree whose largest end is ≤ k, or whose starts are all > k, is skipped whole.
// Priorities come from a fixed-seed generator so the shape is deterministic.

export interface IntervalEntry<T> {
  readonly start: string;
  readonly end: string | null;
  readonly id: number;
  readonly value: T;
}

interface Node<T> {
  entry: IntervalEntry<T>;
  priority: number;
  maxEnd: string | null;
  left: Node<T> | null;
  right: Node<T> | null;
}

/** null is +infinity. */
function maxOf(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return a > b ? a : b;
}

function before<T>(a: IntervalEntry<T>, b: IntervalEntry<T>): boolean {
  return a.start < b.start || (a.start === b.start && a.id < b.id);
}

export class IntervalIndex<T> {
  private root: Node<T> | null = null;
  private seed = 0x2545f491;
  private count = 0;

  get size(): number {
    return this.count;
  }

  insert(entry: IntervalEntry<T>): void {
    const node: Node<T> = { entry, priority: this.nextPriority(), maxEnd: entry.end, left: null, right: null };
    this.root = this.insertAt(this.root, node);
    this.count++;
  }

  /** Removes the entry with this (start, id); returns whether it was present. */
  remove(start: string, id: number): boolean {
    const before = this.count;
    this.root = this.removeAt(this.root, start, id);
    return this.count < before;
  }

  /**
   * Calls `visit` for every entry containing `key`; returns the number of nodes examined
   * (the work bound tests assert on).
   */
  stab(key: string, visit: (value: T) => void): number {
    let examined = 0;
    const walk = (node: Node<T> | null): void => {
      if (node === null) return;
      examined++;
      if (node.maxEnd !== null && node.maxEnd <= key) return;
      walk(node.left);
      if (node.entry.start > key) return;
      if (node.entry.end === null || key < node.entry.end) visit(node.entry.value);
      walk(node.right);
    };
    walk(this.root);
    return examined;
  }

  private nextPriority(): number {
    // xorshift32: deterministic, good enough to balance a treap.
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  private insertAt(at: Node<T> | null, node: Node<T>): Node<T> {
    if (at === null) return node;
    if (before(node.entry, at.entry)) {
      at.left = this.insertAt(at.left, node);
      if (at.left.priority > at.priority) at = rotateRight(at);
    } else {
      at.right = this.insertAt(at.right, node);
      if (at.right.priority > at.priority) at = rotateLeft(at);
    }
    update(at);
    return at;
  }

  private removeAt(at: Node<T> | null, start: string, id: number): Node<T> | null {
    if (at === null) return null;
    if (at.entry.start === start && at.entry.id === id) {
      this.count--;
      return merge(at.left, at.right);
    }
    if (start < at.entry.start || (start === at.entry.start && id < at.entry.id)) {
      at.left = this.removeAt(at.left, start, id);
    } else {
      at.right = this.removeAt(at.right, start, id);
    }
    update(at);
    return at;
  }
}

function update<T>(n: Node<T>): void {
  let m = n.entry.end;
  if (n.left !== null) m = maxOf(m, n.left.maxEnd);
  if (n.right !== null) m = maxOf(m, n.right.maxEnd);
  n.maxEnd = m;
}

function rotateRight<T>(n: Node<T>): Node<T> {
  const l = n.left as Node<T>;
  n.left = l.right;
  l.right = n;
  update(n);
  update(l);
  return l;
}

function rotateLeft<T>(n: Node<T>): Node<T> {
  const r = n.right as Node<T>;
  n.right = r.left;
  r.left = n;
  update(n);
  update(r);
  return r;
}

function merge<T>(a: Node<T> | null, b: Node<T> | null): Node<T> | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    update(a);
    return a;
  }
  b.left = merge(a, b.left);
  update(b);
  return b;
}
