import { Restorer } from '@sluice/firewall';
import type { IrResponse, IrStreamEvent } from '@sluice/protocols';

type BlockKind = 'text' | 'json' | 'custom';

/**
 * Turns the placeholders of a redacted request back into their values in the model's answer, so
 * the client never sees them: text, tool-call arguments (JSON-escaped, so a value with quotes keeps
 * the arguments valid JSON) and custom tool input. Streamed blocks hold back only as many characters
 * as a placeholder could still need, and release them when the block ends.
 */
export class IrStreamRestorer {
  private readonly blocks = new Map<number, { kind: BlockKind; restorer: Restorer }>();

  constructor(private readonly mapping: ReadonlyMap<string, string>) {}

  apply(events: readonly IrStreamEvent[]): IrStreamEvent[] {
    const out: IrStreamEvent[] = [];
    for (const ev of events) {
      switch (ev.type) {
        case 'block_start': {
          const kind: BlockKind | null =
            ev.block.type === 'text'
              ? 'text'
              : ev.block.type === 'tool_call'
                ? 'json'
                : ev.block.type === 'custom_tool_call'
                  ? 'custom'
                  : null;
          if (kind)
            this.blocks.set(ev.index, {
              kind,
              restorer: new Restorer(this.mapping, { mode: kind === 'json' ? 'json' : 'text' }),
            });
          out.push(ev);
          break;
        }
        case 'block_delta': {
          const b = this.blocks.get(ev.index);
          const d = ev.delta;
          if (b && d.type === 'text') pushIf(out, ev.index, 'text', b.restorer.push(d.text));
          else if (b && d.type === 'arguments') pushIf(out, ev.index, 'arguments', b.restorer.push(d.json));
          else if (b && d.type === 'custom_input')
            pushIf(out, ev.index, 'custom_input', b.restorer.push(d.text));
          else out.push(ev);
          break;
        }
        case 'block_stop': {
          const b = this.blocks.get(ev.index);
          if (b) {
            pushIf(
              out,
              ev.index,
              b.kind === 'text' ? 'text' : b.kind === 'json' ? 'arguments' : 'custom_input',
              b.restorer.flush(),
            );
            this.blocks.delete(ev.index);
          }
          out.push(ev);
          break;
        }
        default:
          out.push(ev);
      }
    }
    return out;
  }
}

function pushIf(
  out: IrStreamEvent[],
  index: number,
  type: 'text' | 'arguments' | 'custom_input',
  value: string,
): void {
  if (value === '') return;
  if (type === 'arguments')
    out.push({ type: 'block_delta', index, delta: { type: 'arguments', json: value } });
  else out.push({ type: 'block_delta', index, delta: { type, text: value } });
}

/** The same for a whole (non-streamed) answer. */
export function restoreResponse(res: IrResponse, mapping: ReadonlyMap<string, string>): void {
  const text = new Restorer(mapping);
  const json = new Restorer(mapping, { mode: 'json' });
  for (const p of res.content) {
    if (p.type === 'text') p.text = text.restore(p.text);
    else if (p.type === 'tool_call') p.arguments = json.restore(p.arguments);
    else if (p.type === 'custom_tool_call') p.input = text.restore(p.input);
  }
}

/** What the model wrote (text, arguments, custom input), for the response scan; bounded. */
export class AnswerCollector {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly limit = 1 << 20) {}

  add(events: readonly IrStreamEvent[]): void {
    for (const ev of events) {
      if (ev.type !== 'block_delta' || this.size >= this.limit) continue;
      const d = ev.delta;
      const piece =
        d.type === 'text' || d.type === 'custom_input' ? d.text : d.type === 'arguments' ? d.json : '';
      this.parts.push(piece);
      this.size += piece.length;
    }
  }

  text(): string {
    return this.parts.join('');
  }
}

export function answerText(res: IrResponse): string {
  return res.content
    .map((p) =>
      p.type === 'text'
        ? p.text
        : p.type === 'tool_call'
          ? p.arguments
          : p.type === 'custom_tool_call'
            ? p.input
            : '',
    )
    .join('\n');
}
