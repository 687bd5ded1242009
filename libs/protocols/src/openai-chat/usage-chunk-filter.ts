/**
 * Passthrough of an OpenAI Chat stream whose request the gateway changed to `include_usage: true` (to meter it)
 * although the client did not ask: every frame goes out as received, except the final `choices: []` usage frame.
 * Frames are cut at their blank line, whatever the chunking; the text of the others is not re-serialized.
 */
export class OpenAiUsageChunkFilter {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';

  push(chunk: string | Uint8Array): string {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let out = '';
    for (;;) {
      const m = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (!m) break;
      const end = m.index + m[0].length;
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end);
      if (!isUsageOnlyFrame(frame)) out += frame;
    }
    return out;
  }

  end(): string {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    return rest === '' || isUsageOnlyFrame(rest) ? '' : rest;
  }
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
