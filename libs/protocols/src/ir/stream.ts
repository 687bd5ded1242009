import type { IrOrigin } from './common';
import type { IrError } from './error';
import type { IrStopReason, IrUsage } from './response';

/**
 * What a block is when it opens. Indices are assigned by the decoder, from 0, in the order blocks open; a decoder
 * emits at most one open block at a time (it closes the previous one first), which is what Anthropic streams need.
 */
export type IrBlockStart =
  | { type: 'text' }
  | { type: 'thinking'; origin?: IrOrigin; itemId?: string }
  /** Arrives complete: Anthropic sends redacted thinking whole in `content_block_start`. */
  | { type: 'redacted_thinking'; data: string; origin?: IrOrigin }
  | { type: 'tool_call'; id: string; name: string; origin?: IrOrigin; itemId?: string; signature?: string }
  | { type: 'custom_tool_call'; id: string; name: string; origin?: IrOrigin; itemId?: string };

export type IrBlockDelta =
  | { type: 'text'; text: string }
  | { type: 'thinking'; text: string }
  | { type: 'signature'; signature: string }
  /** A fragment of the tool call's JSON arguments string. */
  | { type: 'arguments'; json: string }
  /** A fragment of a custom tool call's raw input. */
  | { type: 'custom_input'; text: string };

export type IrStreamEvent =
  | { type: 'message_start'; id: string; model: string; usage?: IrUsage; createdAtSec?: number }
  | { type: 'block_start'; index: number; block: IrBlockStart }
  | { type: 'block_delta'; index: number; delta: IrBlockDelta }
  | { type: 'block_stop'; index: number }
  /** Stop reason and/or usage; usage values are cumulative totals (the last one wins). */
  | { type: 'message_delta'; stopReason?: IrStopReason; usage?: IrUsage }
  | { type: 'message_stop' }
  | { type: 'error'; error: IrError };
