import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AnthropicStreamDecoder,
  AnthropicStreamEncoder,
  plainSmallEvent,
  plainTextDelta,
} from '../src/anthropic/anthropic-stream.codec';
import type { IrStreamEvent } from '../src/ir/stream';
import type { SseEvent } from '../src/sse/sse-event';
import { parseSse } from '../src/sse/sse-parser';
import { jsonHostileText } from './protocol-test-helpers';

const decode = (events: readonly SseEvent[]): IrStreamEvent[] => {
  const d = new AnthropicStreamDecoder({ model: 'm' });
  const out: IrStreamEvent[] = [];
  for (const ev of events) out.push(...d.push(ev));
  out.push(...d.end());
  return out;
};

/** The same events with `{ "type":` for `{"type":` (equal JSON): decoded by JSON.parse alone. */
const parsedWhole = (events: readonly SseEvent[]): SseEvent[] =>
  events.map((e) => ({ ...e, data: e.data.replace('{"type":', '{ "type":') }));

const event = (name: string, data: unknown): SseEvent => ({ event: name, data: JSON.stringify(data) });

describe('Anthropic stream decoder: text deltas without JSON.parse', () => {
  it('gives the same events as a whole parse of every event, for any stream (property)', () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom('a', '"', '\\', '\n', '\u0001', 'é', '\ud800', '"}}'),
        fc.string({ maxLength: 1 }),
      ),
      maxLength: 10,
    });
    const delta = fc
      .tuple(
        fc.constantFrom('0', '1', '2', '01', '00', '-1', '1.0', '123456789', '1234567890'),
        text,
        fc.boolean(),
        fc.constantFrom('"}}', '"},"x":1}', '"} }', '"}}\n', '","citations":[]}}'),
      )
      .map(([index, t, escape, tail]): SseEvent => {
        const body = escape ? JSON.stringify(t).slice(1, -1) : t;
        return {
          event: 'content_block_delta',
          data: `{"type":"content_block_delta","index":${index},"delta":{"type":"text_delta","text":"${body}${tail}`,
        };
      });
    const other = fc.oneof(
      fc.integer({ min: 0, max: 2 }).map((index) =>
        event('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '' },
        }),
      ),
      fc
        .integer({ min: 0, max: 2 })
        .map((index) => event('content_block_stop', { type: 'content_block_stop', index })),
      fc.tuple(fc.integer({ min: 0, max: 2 }), text).map(([index, thinking]) =>
        event('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'thinking_delta', thinking },
        }),
      ),
      fc.constant(event('ping', { type: 'ping' })),
      // Near misses of the small events' fast path: each goes to JSON.parse (or is refused by it).
      fc
        .tuple(
          fc.constantFrom('0', '1', '2', '01', '00', '-1', '1.0', '123456789', '1234567890', ''),
          fc.constantFrom('}', ',"x":1}', ' }', '}\n', '}}'),
        )
        .map(([index, tail]) => ({
          event: 'content_block_stop',
          data: `{"type":"content_block_stop","index":${index}${tail}`,
        })),
      fc
        .tuple(
          fc.constantFrom('0', '1', '2', '01', '00', '-1', '1.0', '123456789', '1234567890', ''),
          fc.constantFrom(
            ',"content_block":{"type":"text","text":""}}',
            ',"content_block":{"type":"text","text":"x"}}',
            ',"content_block":{"type":"text","text":""} }',
            ',"content_block":{"type":"text","text":""}}\n',
            ',"content_block":{"type":"text","text":"","citations":[]}}',
            ',"content_block":{"type":"thinking","thinking":""}}',
            ',"content_block":{"text":"","type":"text"}}',
          ),
        )
        .map(([index, tail]) => ({
          event: 'content_block_start',
          data: `{"type":"content_block_start","index":${index}${tail}`,
        })),
      fc.constantFrom<SseEvent>(
        { event: 'ping', data: '{"type":"ping","x":1}' },
        { event: 'ping', data: '{"type":"ping" }' },
        { event: 'message_stop', data: '{"type":"message_stop","x":1}' },
      ),
    );
    const start = event('message_start', {
      type: 'message_start',
      message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude', usage: {} },
    });
    const end = [
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn' },
        usage: { output_tokens: 3 },
      }),
      event('message_stop', { type: 'message_stop' }),
    ];
    fc.assert(
      fc.property(fc.array(fc.oneof(delta, other), { maxLength: 12 }), fc.boolean(), (middle, ends) => {
        const events = [start, ...middle, ...(ends ? end : [])];
        assert.deepStrictEqual(decode(events), decode(parsedWhole(events)));
      }),
      { numRuns: 1000 },
    );
  });

  it('reads the text deltas of a recorded Anthropic stream (the fast path is taken)', () => {
    const sse = readFileSync(join(__dirname, '../../../bench/mock/bodies/anthropic-messages.sse'), 'utf8');
    const events = parseSse(sse);
    const deltas = events.filter((e) => e.event === 'content_block_delta');
    assert.ok(deltas.length >= 10);
    for (const e of deltas) {
      const parsed = JSON.parse(e.data) as { index: number; delta: { text: string } };
      assert.deepStrictEqual(plainTextDelta(e.data), { index: parsed.index, text: parsed.delta.text });
    }
    // ping, the text block's start, content_block_stop and message_stop: read without JSON.parse too.
    for (const e of events.filter((x) =>
      ['ping', 'content_block_start', 'content_block_stop', 'message_stop'].includes(x.event ?? ''),
    ))
      assert.deepStrictEqual(plainSmallEvent(e.data), JSON.parse(e.data));
    assert.deepStrictEqual(decode(events), decode(parsedWhole(events)));
  });
});

describe('Anthropic stream encoder: text deltas written as text', () => {
  it('writes each text delta byte for byte as JSON.stringify of the event object (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(jsonHostileText, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }),
        (blocks) => {
          const encoder = new AnthropicStreamEncoder({ model: 'claude' });
          const frames: SseEvent[] = [];
          const expected: SseEvent[] = [];
          frames.push(...encoder.push({ type: 'message_start', id: 'msg_1', model: 'claude' }));
          blocks.forEach((deltas, index) => {
            frames.push(...encoder.push({ type: 'block_start', index, block: { type: 'text' } }));
            for (const t of deltas) {
              const got = encoder.push({ type: 'block_delta', index, delta: { type: 'text', text: t } });
              frames.push(...got);
              expected.push({
                event: 'content_block_delta',
                data: JSON.stringify({
                  type: 'content_block_delta',
                  index,
                  delta: { type: 'text_delta', text: t },
                }),
              });
            }
            frames.push(...encoder.push({ type: 'block_stop', index }));
          });
          assert.deepStrictEqual(
            frames.filter((f) => f.event === 'content_block_delta'),
            expected,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
