import type { MockStopReason, MockTurn, MockUsage } from './mock-upstream.types';

/** A tool call with everything the renderers need decided once (ids are still protocol-specific). */
export interface ResolvedToolCall {
  kind: 'function' | 'custom';
  name: string;
  /** Explicit id from the script, if any. */
  id: string | undefined;
  /** Function: the arguments object. Custom: `{ input }` (what non-OpenAI protocols receive). */
  argumentsObject: Record<string, unknown>;
  /** Function: JSON text of the arguments. Custom: the raw input. */
  payload: string;
  payloadChunks: string[];
  /** JSON text of `argumentsObject`, split for protocols that stream JSON arguments. */
  jsonChunks: string[];
  argumentsJson: string;
}

export interface ResolvedTurn {
  text: string;
  textChunks: string[];
  thinking: { text: string; chunks: string[]; signature: string | undefined } | undefined;
  toolCalls: ResolvedToolCall[];
  usage: MockUsage;
  stopReason: MockStopReason;
  /** The stop sequence that matched, for `stop_sequence` stops. */
  stopSequence: string | null;
}

/** Split text into `count` pieces of near-equal length (by code point), or one piece per word by default. */
export function splitText(text: string, count: number | undefined): string[] {
  if (text.length === 0) return [];
  if (count === undefined) {
    const words = text.match(/\S+\s*|\s+/g);
    return words ?? [text];
  }
  const points = Array.from(text);
  const pieces = Math.max(1, Math.min(Math.floor(count), points.length));
  const out: string[] = [];
  for (let i = 0; i < pieces; i++) {
    const start = Math.floor((i * points.length) / pieces);
    const end = Math.floor(((i + 1) * points.length) / pieces);
    out.push(points.slice(start, end).join(''));
  }
  return out;
}

/** A deterministic token estimate for defaults (a word-ish count; the mock is not a tokenizer). */
export function estimateTokens(text: string): number {
  const matches = text.match(/[A-Za-z0-9]+|[^\sA-Za-z0-9]/g);
  return matches?.length ?? 0;
}

export function resolveTurn(turn: MockTurn, defaultText: string, estimatedInputTokens: number): ResolvedTurn {
  const toolCallsIn = turn.toolCalls ?? [];
  const text = turn.text ?? (toolCallsIn.length === 0 ? defaultText : '');
  const argumentChunks = turn.argumentChunks ?? 3;
  const toolCalls: ResolvedToolCall[] = toolCallsIn.map((call) => {
    if (call.type === 'custom') {
      const argumentsObject = { input: call.input };
      const argumentsJson = JSON.stringify(argumentsObject);
      return {
        kind: 'custom',
        name: call.name,
        id: call.id,
        argumentsObject,
        payload: call.input,
        payloadChunks: splitText(call.input, argumentChunks),
        jsonChunks: splitText(argumentsJson, argumentChunks),
        argumentsJson,
      };
    }
    const argumentsObject = call.arguments ?? {};
    const argumentsJson = JSON.stringify(argumentsObject);
    const jsonChunks = splitText(argumentsJson, argumentChunks);
    return {
      kind: 'function',
      name: call.name,
      id: call.id,
      argumentsObject,
      payload: argumentsJson,
      payloadChunks: jsonChunks,
      jsonChunks,
      argumentsJson,
    };
  });
  const thinking =
    turn.thinking === undefined
      ? undefined
      : {
          text: turn.thinking.text,
          chunks: splitText(turn.thinking.text, turn.chunks),
          signature: turn.thinking.signature,
        };
  const reasoningDefault = thinking === undefined ? 0 : Math.max(1, estimateTokens(thinking.text));
  const reasoningTokens = turn.usage?.reasoningTokens ?? reasoningDefault;
  const visibleOutput =
    estimateTokens(text) + toolCalls.reduce((sum, call) => sum + estimateTokens(call.payload), 0);
  const usage: MockUsage = {
    inputTokens: turn.usage?.inputTokens ?? Math.max(1, estimatedInputTokens),
    outputTokens: turn.usage?.outputTokens ?? Math.max(1, visibleOutput + reasoningTokens),
    cacheReadTokens: turn.usage?.cacheReadTokens ?? 0,
    cacheWriteTokens: turn.usage?.cacheWriteTokens ?? 0,
    reasoningTokens,
  };
  return {
    text,
    textChunks: splitText(text, turn.chunks),
    thinking,
    toolCalls,
    usage,
    stopReason: turn.stopReason ?? (toolCalls.length > 0 ? 'tool_use' : 'end_turn'),
    stopSequence: turn.stopSequence ?? null,
  };
}
