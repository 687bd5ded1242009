import type { RecordedRequest } from './mock-upstream.types';
import { isRecord } from './request-inspect';

/** A tool result found in a request, whatever its protocol. */
export interface MockToolResult {
  /** `tool_call_id`, `call_id`, `tool_use_id` or Gemini `functionResponse.id` (often absent on Gemini). */
  callId: string | undefined;
  /** Only Gemini names the function in its results. */
  name: string | undefined;
  /** The result as text (JSON text for Gemini's `response` object). */
  content: string;
  isError: boolean;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .filter(isRecord)
      .map((part) => (typeof part.text === 'string' ? part.text : ''))
      .join('');
  }
  return content === undefined ? '' : JSON.stringify(content);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Every tool result the request carries, oldest first: what a scripted "model" reads to decide its next
 * step in a tool loop.
 */
export function toolResults(request: RecordedRequest): MockToolResult[] {
  const body = isRecord(request.body) ? request.body : {};
  const out: MockToolResult[] = [];
  switch (request.protocol) {
    case 'openai-chat':
      for (const m of Array.isArray(body.messages) ? body.messages.filter(isRecord) : []) {
        if (m.role !== 'tool') continue;
        out.push({
          callId: optionalString(m.tool_call_id),
          name: undefined,
          content: textOf(m.content),
          isError: false,
        });
      }
      break;
    case 'openai-responses':
      for (const item of Array.isArray(body.input) ? body.input.filter(isRecord) : []) {
        if (item.type !== 'function_call_output' && item.type !== 'custom_tool_call_output') continue;
        out.push({
          callId: optionalString(item.call_id),
          name: undefined,
          content: textOf(item.output),
          isError: false,
        });
      }
      break;
    case 'anthropic':
      for (const m of Array.isArray(body.messages) ? body.messages.filter(isRecord) : []) {
        if (m.role !== 'user' || !Array.isArray(m.content)) continue;
        for (const block of m.content.filter(isRecord)) {
          if (block.type !== 'tool_result') continue;
          out.push({
            callId: optionalString(block.tool_use_id),
            name: undefined,
            content: textOf(block.content),
            isError: block.is_error === true,
          });
        }
      }
      break;
    case 'gemini':
      for (const c of Array.isArray(body.contents) ? body.contents.filter(isRecord) : []) {
        for (const part of Array.isArray(c.parts) ? c.parts.filter(isRecord) : []) {
          const fr = part.functionResponse;
          if (!isRecord(fr)) continue;
          const response = isRecord(fr.response) ? fr.response : {};
          out.push({
            callId: optionalString(fr.id),
            name: optionalString(fr.name),
            content: JSON.stringify(fr.response ?? {}),
            isError: response.error !== undefined,
          });
        }
      }
      break;
    case undefined:
      break;
  }
  return out;
}

/** The latest tool result in the request, if any. */
export function lastToolResult(request: RecordedRequest): MockToolResult | undefined {
  const all = toolResults(request);
  return all[all.length - 1];
}
