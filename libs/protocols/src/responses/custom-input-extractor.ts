// A provider without custom (freeform) tools is offered them as a function with one string parameter, so its
// call arrives as streamed JSON arguments such as `{"input":"*** Begin Patch\n…`. The client expects the raw
// text in `custom_tool_call_input.delta` events as it is written, so this decodes the string value
// incrementally instead of waiting for the closing brace.

type Phase = 'start' | 'key' | 'colon' | 'value' | 'string' | 'after' | 'fallback';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export class CustomInputExtractor {
  private phase: Phase = 'start';
  private raw = '';
  private emitted = '';
  private escape: 'none' | 'backslash' | 'unicode' = 'none';
  private hex = '';
  private inKeyString = false;
  private keyEscape = false;
  /** A high surrogate waits for its pair so one delta never ends inside a character. */
  private pendingHigh = '';

  /** Feeds a fragment of the JSON arguments; returns newly decoded input text (possibly empty). */
  push(fragment: string): string {
    this.raw += fragment;
    if (this.inFallback()) return '';
    let out = '';
    for (const ch of fragment) {
      out += this.step(ch);
      if (this.inFallback()) return this.take(out);
    }
    return this.take(out);
  }

  /** End of arguments: returns whatever is still owed, falling back to a full parse when streaming was not possible. */
  end(): string {
    if (this.phase === 'string' || this.phase === 'after') {
      const rest = this.pendingHigh;
      this.pendingHigh = '';
      return this.take(rest);
    }
    // Not the expected shape: parse it whole. A single string value is the input; anything else is kept raw so
    // nothing the model wrote is lost.
    let full = this.raw;
    try {
      const v = JSON.parse(this.raw) as unknown;
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const values = Object.values(v);
        if (values.length === 1 && typeof values[0] === 'string') full = values[0];
      } else if (typeof v === 'string') full = v;
    } catch {
      // keep raw
    }
    const rest = full.startsWith(this.emitted) ? full.slice(this.emitted.length) : full;
    return this.take(rest);
  }

  /** The whole input decoded so far. */
  get input(): string {
    return this.emitted;
  }

  // A method, not an inline comparison: `step` changes the phase behind the type checker's back.
  private inFallback(): boolean {
    return this.phase === 'fallback';
  }

  private take(s: string): string {
    this.emitted += s;
    return s;
  }

  private step(ch: string): string {
    switch (this.phase) {
      case 'start':
        if (ch === '{') this.phase = 'key';
        else if (!/\s/.test(ch)) this.phase = 'fallback';
        return '';
      case 'key':
        if (!this.inKeyString) {
          if (ch === '"') this.inKeyString = true;
          else if (!/\s/.test(ch)) this.phase = 'fallback';
          return '';
        }
        if (this.keyEscape) this.keyEscape = false;
        else if (ch === '\\') this.keyEscape = true;
        else if (ch === '"') {
          this.inKeyString = false;
          this.phase = 'colon';
        }
        return '';
      case 'colon':
        if (ch === ':') this.phase = 'value';
        else if (!/\s/.test(ch)) this.phase = 'fallback';
        return '';
      case 'value':
        if (ch === '"') this.phase = 'string';
        else if (!/\s/.test(ch)) this.phase = 'fallback';
        return '';
      case 'string':
        return this.stringChar(ch);
      case 'after':
      case 'fallback':
        return '';
    }
  }

  private stringChar(ch: string): string {
    if (this.escape === 'backslash') {
      this.escape = 'none';
      if (ch === 'u') {
        this.escape = 'unicode';
        this.hex = '';
        return '';
      }
      return this.unit(SIMPLE_ESCAPES[ch] ?? ch);
    }
    if (this.escape === 'unicode') {
      this.hex += ch;
      if (this.hex.length < 4) return '';
      this.escape = 'none';
      const code = Number.parseInt(this.hex, 16);
      return Number.isNaN(code) ? '' : this.unit(String.fromCharCode(code));
    }
    if (ch === '\\') {
      this.escape = 'backslash';
      return '';
    }
    if (ch === '"') {
      this.phase = 'after';
      const rest = this.pendingHigh;
      this.pendingHigh = '';
      return rest;
    }
    return this.unit(ch);
  }

  private unit(s: string): string {
    const code = s.charCodeAt(0);
    if (s.length === 1 && code >= 0xd800 && code <= 0xdbff) {
      const prev = this.pendingHigh;
      this.pendingHigh = s;
      return prev;
    }
    const out = this.pendingHigh + s;
    this.pendingHigh = '';
    return out;
  }
}
