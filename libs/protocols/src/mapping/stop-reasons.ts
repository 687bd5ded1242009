import type { IrOutputPart } from '../ir/content';
import type { IrStopKind, IrStopReason } from '../ir/response';

// The tables below are the "finish and stop reasons both ways" part of the coverage table in README.md.

export const ANTHROPIC_TO_IR_STOP: Readonly<Record<string, IrStopKind>> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  model_context_window_exceeded: 'max_tokens',
  stop_sequence: 'stop_sequence',
  tool_use: 'tool_use',
  refusal: 'content_filter',
  pause_turn: 'other',
};

export const IR_TO_ANTHROPIC_STOP: Readonly<Record<IrStopKind, string>> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  tool_use: 'tool_use',
  content_filter: 'refusal',
  error: 'end_turn',
  other: 'end_turn',
};

export const OPENAI_TO_IR_STOP: Readonly<Record<string, IrStopKind>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'content_filter',
};

export const IR_TO_OPENAI_STOP: Readonly<Record<IrStopKind, string>> = {
  end_turn: 'stop',
  max_tokens: 'length',
  stop_sequence: 'stop',
  tool_use: 'tool_calls',
  content_filter: 'content_filter',
  error: 'stop',
  other: 'stop',
};

export const GEMINI_TO_IR_STOP: Readonly<Record<string, IrStopKind>> = {
  STOP: 'end_turn',
  MAX_TOKENS: 'max_tokens',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  TOO_MANY_TOOL_CALLS: 'error',
  LANGUAGE: 'other',
  OTHER: 'other',
  IMAGE_OTHER: 'other',
  NO_IMAGE: 'other',
  FINISH_REASON_UNSPECIFIED: 'other',
};

export const IR_TO_GEMINI_STOP: Readonly<Record<IrStopKind, string>> = {
  end_turn: 'STOP',
  max_tokens: 'MAX_TOKENS',
  stop_sequence: 'STOP',
  tool_use: 'STOP',
  content_filter: 'SAFETY',
  error: 'OTHER',
  other: 'OTHER',
};

const fromTable = (table: Readonly<Record<string, IrStopKind>>, raw: unknown): IrStopReason => {
  if (typeof raw !== 'string') return { kind: 'other' };
  return { kind: table[raw] ?? 'other', raw };
};

export const stopFromAnthropic = (raw: unknown, stopSequence?: unknown): IrStopReason => {
  const r = fromTable(ANTHROPIC_TO_IR_STOP, raw);
  if (typeof stopSequence === 'string') r.stopSequence = stopSequence;
  return r;
};
export const stopFromOpenAi = (raw: unknown): IrStopReason => fromTable(OPENAI_TO_IR_STOP, raw);
export const stopFromGemini = (raw: unknown): IrStopReason => fromTable(GEMINI_TO_IR_STOP, raw);

/**
 * Tool use is derived from the content, not trusted from the upstream: Gemini says STOP when it calls functions,
 * and some OpenAI-compatible servers send `stop` with tool calls.
 */
export const withToolUse = (stop: IrStopReason, hasToolCalls: boolean): IrStopReason =>
  hasToolCalls && (stop.kind === 'end_turn' || stop.kind === 'other' || stop.kind === 'stop_sequence')
    ? { ...stop, kind: 'tool_use' }
    : stop;

export const hasToolCalls = (parts: readonly IrOutputPart[]): boolean =>
  parts.some((p) => p.type === 'tool_call' || p.type === 'custom_tool_call');
