import type { IrOrigin } from '../ir/common';
import type { IrOutputPart } from '../ir/content';
import { isObj, str } from './json';
import type { ToolNameMap } from './tool-names';

/**
 * A tool call as the upstream made it, mapped back to what the client declared: the name restored, and a call of
 * a custom/freeform tool (sent upstream as a function with one `input` string) turned back into raw input.
 */
export const restoreToolCall = (
  id: string,
  wireName: string,
  argumentsJson: string,
  tools: ToolNameMap | undefined,
  origin?: IrOrigin,
): IrOutputPart => {
  const name = tools ? tools.toOriginal(wireName) : wireName;
  if (tools?.kindOfWire(wireName) === 'custom') {
    let input = argumentsJson;
    try {
      const parsed = JSON.parse(argumentsJson) as unknown;
      if (isObj(parsed) && typeof parsed.input === 'string') input = parsed.input;
    } catch {
      // keep the raw text
    }
    return { type: 'custom_tool_call', id, name, input, ...(origin ? { origin } : {}) };
  }
  return { type: 'tool_call', id, name, arguments: argumentsJson, ...(origin ? { origin } : {}) };
};

/** Joins the text parts of a response. */
export const responseText = (parts: readonly IrOutputPart[]): string =>
  parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');

export const strOr = (v: unknown, d: string): string => str(v) ?? d;
