import type { IrStreamEvent } from '../../src/ir/stream';
import type { IrUsage } from '../../src/ir/response';
import type { ResponsesStreamEvent } from '../../src/responses';

/** Deterministic ids: `prefix` + a counter, so a test can spell out every id it expects. */
export const counterIds = (): ((prefix: string) => string) => {
  let n = 0;
  return (prefix) => `${prefix}${++n}`;
};

export const NOW_SEC = 1_790_000_000;

export const usage = (over: Partial<IrUsage> = {}): IrUsage => ({
  inputUncachedTokens: 100,
  cacheReadTokens: 20,
  cacheWriteTokens: 0,
  outputTokens: 30,
  reasoningTokens: 0,
  ...over,
});

/** IR events of one text block, split into the given deltas. */
export const textBlock = (index: number, ...deltas: string[]): IrStreamEvent[] => [
  { type: 'block_start', index, block: { type: 'text' } },
  ...deltas.map((text): IrStreamEvent => ({ type: 'block_delta', index, delta: { type: 'text', text } })),
  { type: 'block_stop', index },
];

export const toolBlock = (index: number, id: string, name: string, ...json: string[]): IrStreamEvent[] => [
  { type: 'block_start', index, block: { type: 'tool_call', id, name } },
  ...json.map((j): IrStreamEvent => ({ type: 'block_delta', index, delta: { type: 'arguments', json: j } })),
  { type: 'block_stop', index },
];

/** `type` of each event, in order: the shape of a sequence at a glance. */
export const types = (events: readonly ResponsesStreamEvent[]): string[] => events.map((e) => e.type);

/** Field of an event, read loosely (events are a union; tests check the field exists anyway). */
export const field = (e: ResponsesStreamEvent, key: string): unknown =>
  (e as unknown as Record<string, unknown>)[key];
