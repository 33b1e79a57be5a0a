// A fixed-size bitset over a partition's operations: the "linearized so far" set that, with
// the model state, forms the search's memo key.

export class Bitset {
  private readonly words: Uint32Array;

  private readonly halves: Uint16Array;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32) || 1);
    this.halves = new Uint16Array(this.words.buffer);
  }

  set(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] ?? 0) | (1 << (i & 31));
  }

  clear(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] ?? 0) & ~(1 << (i & 31));
  }

  has(i: number): boolean {
    return ((this.words[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0;
  }

  /** A string equal for equal sets: the words' 16-bit halves as UTF-16 code units. */
  key(): string {
    // apply() takes any array-like; a typed array of code units is one.
    return String.fromCharCode.apply(null, this.halves as unknown as number[]);
  }
}
