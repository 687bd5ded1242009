import type { IrOutputPart } from './content';

/**
 * Normalised stop reason. `raw` keeps the upstream's own value (e.g. `pause_turn`, `RECITATION`) for logs and
 * for same-protocol re-encoding.
 */
export type IrStopKind =
  'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'content_filter' | 'error' | 'other';

export interface IrStopReason {
  kind: IrStopKind;
  raw?: string;
  /** The stop sequence that matched (Anthropic `stop_sequence`). */
  stopSequence?: string;
}

/**
 * Token usage, normalised so the parts add up without double counting:
 * total input = inputUncachedTokens + cacheReadTokens + cacheWriteTokens (Anthropic's shape);
 * outputTokens includes reasoningTokens (OpenAI's shape).
 */
export interface IrUsage {
  inputUncachedTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** The provider's usage object as received. */
  raw?: unknown;
}

export const emptyUsage = (): IrUsage => ({
  inputUncachedTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

export const totalInputTokens = (u: IrUsage): number =>
  u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens;

export interface IrResponse {
  /** Upstream id, kept (chatcmpl-…, msg_…, resp_…, Gemini responseId). */
  id: string;
  model: string;
  content: IrOutputPart[];
  stopReason: IrStopReason;
  usage: IrUsage;
  /** Unix seconds. */
  createdAtSec?: number;
}
