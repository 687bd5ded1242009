import { StringDecoder } from 'node:string_decoder';

const LF = 0x0a;
const CR = 0x0d;
const FRAME_END = Buffer.from('\n\n');
const EMPTY_ARRAY = Buffer.from('[]');
const CHOICES_KEY = Buffer.from('"choices"');
const EMPTY = Buffer.alloc(0);

/**
 * Passthrough of an OpenAI Chat stream whose request the gateway changed to `include_usage: true` (to meter it)
 * although the client did not ask: every frame goes out as received, except the final `choices: []` usage frame.
 * Frames are cut at their blank line, whatever the chunking; a frame split across chunks is held until it is
 * complete. The common stream (LF line ends) is filtered as bytes: the chunk goes out as the same Buffer when it
 * holds no candidate frame, and nothing is decoded but a candidate. A stream with a CR anywhere is filtered as
 * text from there on (CR and CRLF line ends make the bytes search ambiguous).
 */
export class OpenAiUsageChunkFilter {
  /** Bytes after the last complete frame (LF mode). */
  private held: Buffer = EMPTY;
  /** Set once a CR was seen: the rest of the stream is filtered as text. */
  private text: { decoder: StringDecoder; buffer: string } | null = null;

  push(chunk: Uint8Array): Buffer | string {
    if (this.text !== null) return this.pushText(chunk);
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    if (bytes.indexOf(CR) !== -1) {
      this.text = { decoder: new StringDecoder('utf8'), buffer: '' };
      const held = this.held;
      this.held = EMPTY;
      return this.pushText(held.length > 0 ? Buffer.concat([held, bytes]) : bytes);
    }
    const buf = this.held.length > 0 ? Buffer.concat([this.held, bytes]) : bytes;
    const last = buf.lastIndexOf(FRAME_END);
    if (last === -1) {
      this.held = buf;
      return EMPTY;
    }
    const end = last + 2;
    this.held = end < buf.length ? buf.subarray(end) : EMPTY;
    return dropUsageFrames(end === buf.length ? buf : buf.subarray(0, end));
  }

  end(): Buffer | string {
    if (this.text !== null) {
      const rest = this.text.buffer + this.text.decoder.end();
      this.text.buffer = '';
      return rest === '' || isUsageOnlyFrame(rest) ? '' : rest;
    }
    const rest = this.held;
    this.held = EMPTY;
    return rest.length === 0 || isUsageOnlyFrame(rest.toString('utf8')) ? EMPTY : rest;
  }

  private pushText(chunk: Uint8Array): string {
    const t = this.text!;
    t.buffer += t.decoder.write(chunk);
    let out = '';
    for (;;) {
      const m = /\r\n\r\n|\n\n|\r\r/.exec(t.buffer);
      if (!m) break;
      const end = m.index + m[0].length;
      const frame = t.buffer.slice(0, end);
      t.buffer = t.buffer.slice(end);
      if (!isUsageOnlyFrame(frame)) out += frame;
    }
    return out;
  }
}

/**
 * Complete LF-delimited frames without the usage-only ones. A candidate is an empty array `[]` that is the
 * value of a `"choices"` key (JSON whitespace allowed around the colon): one native search for `[]` over
 * the chunk, where a search per frame for the key cost a call per frame. Only a candidate frame is decoded
 * and parsed. (An empty array written with whitespace inside, `[ ]`, which no JSON encoder of the field
 * emits, is not looked for: such a usage frame would reach the client.)
 */
function dropUsageFrames(frames: Buffer): Buffer {
  let out: Buffer[] | null = null;
  let kept = 0; // start of the bytes not yet copied to `out`
  let from = 0;
  for (;;) {
    const at = frames.indexOf(EMPTY_ARRAY, from);
    if (at === -1) break;
    from = at + EMPTY_ARRAY.length;
    if (!choicesKeyBefore(frames, at)) continue;
    const start = frameStart(frames, at);
    const found = frames.indexOf(FRAME_END, at);
    const end = found === -1 ? frames.length : found + 2;
    if (isUsageOnlyFrame(frames.toString('utf8', start, end))) {
      out ??= [];
      if (start > kept) out.push(frames.subarray(kept, start));
      kept = end;
    }
    from = end;
  }
  if (out === null) return frames;
  if (kept < frames.length) out.push(frames.subarray(kept));
  return out.length === 1 ? out[0]! : Buffer.concat(out);
}

const isJsonSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === LF;

/** Whether `"choices"` and a colon (JSON whitespace allowed) end right before `at`. */
function choicesKeyBefore(b: Buffer, at: number): boolean {
  let i = at - 1;
  while (isJsonSpace(b[i])) i--;
  if (b[i] !== 0x3a /* : */) return false;
  i--;
  while (isJsonSpace(b[i])) i--;
  const start = i + 1 - CHOICES_KEY.length;
  return start >= 0 && b.compare(CHOICES_KEY, 0, CHOICES_KEY.length, start, i + 1) === 0;
}

function frameStart(b: Buffer, at: number): number {
  const prev = b.lastIndexOf(FRAME_END, at);
  return prev === -1 ? 0 : prev + 2;
}

// Every OpenAI chunk carries `"usage":null`, so only an empty `choices` array marks a candidate.
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;

const isUsageOnlyFrame = (frame: string): boolean => {
  if (!EMPTY_CHOICES.test(frame)) return false;
  const data = frame
    .split(/\r\n|\r|\n/)
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trimStart())
    .join('\n');
  try {
    const v = JSON.parse(data) as { choices?: unknown; usage?: unknown };
    return Array.isArray(v.choices) && v.choices.length === 0 && v.usage !== null && v.usage !== undefined;
  } catch {
    return false;
  }
};
