import type { MockError } from './mock-upstream.types';
import type { ResolvedTurn } from './resolved-turn';

/** What a renderer knows about the request it answers. */
export interface RenderContext {
  model: string;
  /** The parsed request body (an empty object when there was none). */
  body: Record<string, unknown>;
  includeUsage: boolean;
  nowSec: number;
  requestId: string;
  /** Id of the streamed object, set by `stream()` so that `streamError()` can refer to it. */
  streamId?: string;
}

/** A streamed answer: SSE frames, and how many of them to keep before a mid-stream error. */
export interface StreamFrames {
  frames: string[];
  /** Frames kept when a mid-stream error cuts the answer (about half of its content). */
  keepBeforeError: number;
}

/** One wire protocol, rendered from an abstract turn. */
export interface ProtocolRenderer {
  json(turn: ResolvedTurn, ctx: RenderContext): unknown;
  stream(turn: ResolvedTurn, ctx: RenderContext): StreamFrames;
  /** Frames that end a stream with an error, given how many frames were already sent. */
  streamError(error: MockError, ctx: RenderContext, framesSent: number): string[];
  errorBody(error: MockError, ctx: RenderContext): unknown;
  /** Provider-specific response headers (request ids and the like). */
  headers(ctx: RenderContext): Record<string, string>;
}

/** `event:` line (when given) plus one `data:` line and the blank line that ends the frame. */
export function sseFrame(event: string | undefined, data: unknown, eol = '\n'): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined
    ? `data: ${payload}${eol}${eol}`
    : `event: ${event}${eol}data: ${payload}${eol}${eol}`;
}

/** Index splitting the content frames in two, for mid-stream errors. */
export function halfway(contentStart: number, contentEnd: number): number {
  return contentStart + Math.max(1, Math.floor((contentEnd - contentStart) / 2));
}
