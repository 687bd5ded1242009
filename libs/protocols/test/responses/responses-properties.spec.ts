import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { IrRequest } from '../../src/ir/request';
import type { IrStreamEvent } from '../../src/ir/stream';
import type { IrUsage } from '../../src/ir/response';
import type { SseEvent } from '../../src/sse/sse-event';
import { serializeSse } from '../../src/sse/sse-serializer';
import {
  CustomInputExtractor,
  ResponsesStreamEncoder,
  ResponsesStreamWriter,
  responsesSseEvents,
  type ResponsesStreamEvent,
} from '../../src/responses';
import { NOW_SEC, counterIds, field, usage } from './responses-test-helpers';

/** Cuts `s` at the given fractions (sorted, deduplicated): any chunking an upstream could produce. */
const cut = (s: string, at: number[]): string[] => {
  const points = [...new Set(at.map((f) => Math.floor(f * s.length)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
};

const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

describe('CustomInputExtractor', () => {
  it('decodes any string from any chunking of {"input": …} exactly, streaming before the end', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fractions,
        fc.constantFrom('', ' ', '\n  '),
        (input, at, ws) => {
          const json = `{${ws}"input"${ws}:${ws}${JSON.stringify(input)}${ws}}`;
          const x = new CustomInputExtractor();
          const pieces = cut(json, at).map((p) => x.push(p));
          const tail = x.end();
          assert.equal(pieces.join('') + tail, input);
          assert.equal(x.input, input);
          // Nothing is held back but an unpaired high surrogate: the value is out once its closing quote arrived.
          assert.equal(tail, '');
        },
      ),
    );
  });

  it('falls back to a whole parse for other shapes, and keeps unparsable text raw', () => {
    const other = new CustomInputExtractor();
    other.push('["not an object"]');
    assert.equal(other.end(), '["not an object"]');
    const raw = new CustomInputExtractor();
    assert.equal(raw.push('*** Begin Patch'), '');
    assert.equal(raw.end(), '*** Begin Patch');
    const bare = new CustomInputExtractor();
    bare.push('"just a string"');
    assert.equal(bare.end(), 'just a string');
  });
});

type Block =
  | { kind: 'text'; deltas: string[] }
  | { kind: 'thinking'; deltas: string[]; signature: string }
  | { kind: 'tool'; id: string; json: string[] }
  | { kind: 'custom'; id: string; input: string[] }
  | { kind: 'lowered'; id: string; input: string; at: number[] };

const block: fc.Arbitrary<Block> = fc.oneof(
  // Any ASCII, control characters and line breaks included: the SSE text must keep each frame whole.
  fc.record({
    kind: fc.constant('text' as const),
    deltas: fc.array(fc.string({ unit: 'binary-ascii' }), { maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('thinking' as const),
    deltas: fc.array(fc.string(), { maxLength: 3 }),
    signature: fc.string(),
  }),
  fc.record({
    kind: fc.constant('tool' as const),
    id: fc.string({ minLength: 1, maxLength: 8 }),
    json: fc.array(fc.string(), { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('custom' as const),
    id: fc.string({ minLength: 1, maxLength: 8 }),
    input: fc.array(fc.string(), { maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('lowered' as const),
    id: fc.string({ minLength: 1, maxLength: 8 }),
    input: fc.string(),
    at: fractions,
  }),
);

const ending = fc.constantFrom('end_turn', 'tool_use', 'max_tokens', 'content_filter', 'error-event', 'cut');

const request: IrRequest = {
  model: 'm',
  system: [],
  messages: [],
  tools: [{ type: 'custom', name: 'apply_patch' }],
  sampling: {},
  stream: true,
  extras: { native: {}, dropped: [] },
};

const toIr = (blocks: Block[], end: string, u: IrUsage = usage()): IrStreamEvent[] => {
  const ev: IrStreamEvent[] = [{ type: 'message_start', id: 'msg_x', model: 'm' }];
  blocks.forEach((b, index) => {
    switch (b.kind) {
      case 'text':
        ev.push({ type: 'block_start', index, block: { type: 'text' } });
        for (const text of b.deltas) ev.push({ type: 'block_delta', index, delta: { type: 'text', text } });
        break;
      case 'thinking':
        ev.push({
          type: 'block_start',
          index,
          block: { type: 'thinking', origin: { provider: 'anthropic' } },
        });
        for (const text of b.deltas)
          ev.push({ type: 'block_delta', index, delta: { type: 'thinking', text } });
        ev.push({ type: 'block_delta', index, delta: { type: 'signature', signature: b.signature } });
        break;
      case 'tool':
        ev.push({ type: 'block_start', index, block: { type: 'tool_call', id: b.id, name: 'f' } });
        for (const json of b.json)
          ev.push({ type: 'block_delta', index, delta: { type: 'arguments', json } });
        break;
      case 'custom':
        ev.push({
          type: 'block_start',
          index,
          block: { type: 'custom_tool_call', id: b.id, name: 'apply_patch' },
        });
        for (const text of b.input)
          ev.push({ type: 'block_delta', index, delta: { type: 'custom_input', text } });
        break;
      case 'lowered':
        ev.push({ type: 'block_start', index, block: { type: 'tool_call', id: b.id, name: 'apply_patch' } });
        for (const json of cut(JSON.stringify({ input: b.input }), b.at))
          ev.push({ type: 'block_delta', index, delta: { type: 'arguments', json } });
        break;
    }
    ev.push({ type: 'block_stop', index });
  });
  if (end === 'cut') return ev;
  if (end === 'error-event')
    return [...ev, { type: 'error', error: { status: 500, kind: 'server_error', message: 'boom' } }];
  return [
    ...ev,
    { type: 'message_delta', stopReason: { kind: end as 'end_turn' }, usage: u },
    { type: 'message_stop' },
  ];
};

describe('Responses stream writer (properties)', () => {
  it('any block sequence and any ending gives a well-formed stream that openai-node replays into the final object', () => {
    fc.assert(
      fc.property(fc.array(block, { maxLength: 6 }), ending, (blocks, end) => {
        // Providers never repeat a tool-call id within one answer (the ids pair calls with results).
        const generatedIds = blocks.flatMap((b) => ('id' in b ? [b.id] : []));
        fc.pre(new Set(generatedIds).size === generatedIds.length);
        const writer = new ResponsesStreamWriter({ request, newId: counterIds(), nowSec: () => NOW_SEC });
        const out: ResponsesStreamEvent[] = [];
        for (const e of toIr(blocks, end)) out.push(...writer.push(e));
        out.push(...writer.end());

        out.forEach((e, i) => assert.equal(e.sequence_number, i));
        assert.equal(out[0]!.type, 'response.created');
        const last = out[out.length - 1]!;
        const expected =
          end === 'end_turn' || end === 'tool_use'
            ? 'response.completed'
            : end === 'max_tokens' || end === 'content_filter'
              ? 'response.incomplete'
              : 'response.failed';
        assert.equal(last.type, expected);
        assert.equal(
          out.filter(
            (e) =>
              e.type.startsWith('response.') &&
              field(e, 'response') !== undefined &&
              e !== out[0] &&
              e !== out[1],
          ).length,
          1,
        );

        let snapshot: ReturnType<typeof accumulateResponse> | undefined;
        for (const e of out) snapshot = accumulateResponse(e as unknown as ResponseStreamEvent, snapshot);
        const final = field(last, 'response') as {
          output: { type: string; id: string; call_id?: string; input?: string }[];
        };
        assert.deepEqual(snapshot!.output, final.output);

        // Every item has a distinct non-empty id; calls keep the upstream id as call_id.
        const ids = final.output.map((o) => o.id);
        assert.ok(ids.every((id) => id !== ''));
        assert.equal(new Set(ids).size, ids.length);
        const callIds = blocks.flatMap((b) =>
          b.kind === 'tool' || b.kind === 'custom' || b.kind === 'lowered' ? [b.id] : [],
        );
        assert.deepEqual(
          final.output.filter((o) => o.call_id !== undefined).map((o) => o.call_id),
          callIds,
        );
        // A lowered custom tool comes back as custom_tool_call with exactly the input the model wrote.
        const lowered = blocks.filter((b): b is Extract<Block, { kind: 'lowered' }> => b.kind === 'lowered');
        const customs = final.output.filter(
          (o) => o.type === 'custom_tool_call' && lowered.some((l) => l.id === o.call_id),
        );
        assert.deepEqual(
          customs.map((o) => o.input),
          lowered.map((l) => l.input),
        );
      }),
      { numRuns: 300 },
    );
  });
});

/** A client's body as far as the response echoes it: any subset of the echoed fields, odd values too. */
const echoedBody = fc.record(
  {
    instructions: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
    max_output_tokens: fc.oneof(fc.nat(), fc.constant(null), fc.string()),
    parallel_tool_calls: fc.oneof(fc.boolean(), fc.string()),
    reasoning: fc.oneof(
      fc.record({ effort: fc.string(), summary: fc.string() }, { requiredKeys: [] }),
      fc.string(),
    ),
    store: fc.boolean(),
    temperature: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null)),
    text: fc.record({ format: fc.jsonValue(), verbosity: fc.string() }, { requiredKeys: [] }),
    tool_choice: fc.jsonValue(),
    tools: fc.array(
      fc.record({ type: fc.constant('function'), name: fc.string(), parameters: fc.jsonValue() }),
      { maxLength: 3 },
    ),
    top_p: fc.double({ noNaN: true, noDefaultInfinity: true }),
    truncation: fc.constantFrom('auto', 'disabled', 'other'),
    user: fc.string(),
    metadata: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
  },
  { requiredKeys: [] },
);

describe('Responses stream encoder (serialize at once)', () => {
  it('writes the same SSE as a writer whose events are copies, as events and as text, for any stream (property)', () => {
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 6 }),
        ending,
        fc.boolean(),
        fc.option(echoedBody),
        fc.record({
          cacheReadTokens: fc.nat(1000),
          cacheWriteTokens: fc.oneof(fc.constant(0), fc.nat(1000)),
          reasoningTokens: fc.nat(1000),
        }),
        (blocks, end, begin, body, counts) => {
          const opts = { request, nowSec: () => NOW_SEC, ...(body !== null ? { requestBody: body } : {}) };
          // The encoder's writer carries live objects, serialized as each event is emitted; a later
          // delta must not show up in an earlier event (item added, part added, response.created).
          const encoder = new ResponsesStreamEncoder({ ...opts, newId: counterIds() });
          const asText = new ResponsesStreamEncoder({ ...opts, newId: counterIds() });
          const copying = new ResponsesStreamWriter({ ...opts, newId: counterIds() });
          const live: SseEvent[] = [];
          const copies: SseEvent[] = [];
          let text = '';
          if (begin) {
            live.push(...encoder.begin());
            text += asText.beginText();
            copies.push(...responsesSseEvents(copying.begin()));
          }
          for (const e of toIr(blocks, end, usage(counts))) {
            live.push(...encoder.push(e));
            text += asText.pushText(e);
            copies.push(...responsesSseEvents(copying.push(e)));
          }
          live.push(...encoder.end());
          text += asText.endText();
          copies.push(...responsesSseEvents(copying.end()));
          // Byte for byte: the templates and the spliced-in sequence numbers give JSON.stringify's text.
          assert.deepEqual(live, copies);
          assert.equal(text, serializeSse(copies));
          // What the gateway stores: the final response itself and its JSON as the terminal event sent
          // it, equal to the copying writer's final object.
          const final = encoder.writer.final();
          // (as JSON: a -0 or an undefined member in the client's body is kept in the live object)
          assert.equal(JSON.stringify(final.response), JSON.stringify(copying.snapshot()));
          assert.equal(final.json, JSON.stringify(final.response));
          const terminal = live[live.length - 1]!;
          assert.ok(terminal.data.includes(`"response":${final.json},"sequence_number":`));
        },
      ),
      { numRuns: 300 },
    );
  });
});
