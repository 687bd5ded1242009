import type { IrRequest } from '@sluice/protocols';

/**
 * The text of a request that the firewall reads, as segments with names for error messages, and a
 * way to write redacted segments back. It reads the decoded request (whatever the client's
 * protocol), never raw JSON: system prompts, every message's text, tool-call arguments, custom tool
 * inputs and tool results. Thinking blocks are not touched: their signatures cover their text.
 */
export type RequestSegments = {
  segments: string[];
  names: string[];
  writeBack(redacted: readonly string[]): void;
};

export function requestSegments(ir: IrRequest): RequestSegments {
  const segments: string[] = [];
  const names: string[] = [];
  const setters: Array<(v: string) => void> = [];
  const add = (text: string, name: string, set: (v: string) => void): void => {
    if (text === '') return;
    segments.push(text);
    names.push(name);
    setters.push(set);
  };
  ir.system.forEach((b, i) => add(b.text, `system[${i}]`, (v) => (b.text = v)));
  ir.messages.forEach((m, mi) => {
    m.content.forEach((p, pi) => {
      const where = `messages[${mi}].content[${pi}]`;
      switch (p.type) {
        case 'text':
          add(p.text, where, (v) => (p.text = v));
          break;
        case 'tool_call':
          add(p.arguments, `${where}.arguments (${p.name})`, (v) => (p.arguments = v));
          break;
        case 'custom_tool_call':
          add(p.input, `${where}.input (${p.name})`, (v) => (p.input = v));
          break;
        case 'tool_result':
          if (typeof p.content === 'string') add(p.content, `${where}.tool_result`, (v) => (p.content = v));
          else
            p.content.forEach((c, ci) => {
              if (c.type === 'text') add(c.text, `${where}.tool_result[${ci}]`, (v) => (c.text = v));
            });
          break;
        default:
          break;
      }
    });
  });
  return {
    segments,
    names,
    writeBack(redacted) {
      redacted.forEach((v, i) => {
        if (v !== segments[i]) setters[i]!(v);
      });
    },
  };
}
