// Finds the first syntax error of a JSON text with its line and column (1-based). V8's
// JSON.parse messages carry a position only for some errors ("Unexpected token '}', ... is
// not valid JSON" has none), so a small RFC 8259 scanner locates the error itself; JSON.parse
// still produces the value once the scanner accepts the text. Iterative depth is bounded by
// JSON_DEPTH_MAX so a hostile value cannot overflow the stack.

export const JSON_DEPTH_MAX = 512;

export interface SyntaxProblem {
  readonly message: string;
  /** 1-based line and column (columns count UTF-16 units, as editors do). */
  readonly line: number;
  readonly column: number;
}

class Stop extends Error {
  constructor(readonly at: number, readonly reason: string) {
    super(reason);
  }
}

export function findJsonError(text: string): SyntaxProblem | null {
  try {
    const s = new Scanner(text);
    s.ws();
    s.value(0);
    s.ws();
    if (s.i < text.length) throw new Stop(s.i, 'unexpected text after the JSON value');
    return null;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { message: e.reason, ...lineColumn(text, e.at) };
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class Scanner {
  i = 0;
  constructor(private readonly t: string) {}

  ws(): void {
    while (this.i < this.t.length && ' \t\n\r'.includes(this.t[this.i]!)) this.i++;
  }

  private describe(): string {
    return this.i >= this.t.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(this.t[this.i])}`;
  }

  value(depth: number): void {
    if (depth > JSON_DEPTH_MAX) throw new Stop(this.i, `nesting deeper than ${JSON_DEPTH_MAX}`);
    const c = this.t[this.i];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.t.startsWith(word, this.i)) {
        this.i += word.length;
        return;
      }
    }
    throw new Stop(this.i, `${this.describe()}: expected a value`);
  }

  private object(depth: number): void {
    this.i++;
    this.ws();
    if (this.t[this.i] === '}') {
      this.i++;
      return;
    }
    for (;;) {
      if (this.t[this.i] !== '"') throw new Stop(this.i, `${this.describe()}: expected a property name in double quotes`);
      this.string();
      this.ws();
      if (this.t[this.i] !== ':') throw new Stop(this.i, `${this.describe()}: expected ':'`);
      this.i++;
      this.ws();
      this.value(depth + 1);
      this.ws();
      if (this.t[this.i] === ',') {
        this.i++;
        this.ws();
        continue;
      }
      if (this.t[this.i] === '}') {
        this.i++;
        return;
      }
      throw new Stop(this.i, `${this.describe()}: expected ',' or '}'`);
    }
  }

  private array(depth: number): void {
    this.i++;
    this.ws();
    if (this.t[this.i] === ']') {
      this.i++;
      return;
    }
    for (;;) {
      this.value(depth + 1);
      this.ws();
      if (this.t[this.i] === ',') {
        this.i++;
        this.ws();
        continue;
      }
      if (this.t[this.i] === ']') {
        this.i++;
        return;
      }
      throw new Stop(this.i, `${this.describe()}: expected ',' or ']'`);
    }
  }

  private string(): void {
    this.i++;
    for (;;) {
      if (this.i >= this.t.length) throw new Stop(this.i, 'unterminated string');
      const c = this.t.charCodeAt(this.i);
      if (c === 34) {
        this.i++;
        return;
      }
      if (c < 0x20) throw new Stop(this.i, 'control character in a string (escape it)');
      if (c === 92) {
        const e = this.t[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.t.slice(this.i + 2, this.i + 6))) throw new Stop(this.i, 'invalid \\u escape');
          this.i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) throw new Stop(this.i, 'invalid escape');
        this.i += 2;
        continue;
      }
      this.i++;
    }
  }

  private number(): void {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.t.slice(this.i, this.i + 1100));
    if (m === null || m[0] === '-') throw new Stop(this.i, 'invalid number');
    this.i += m[0].length;
  }
}
