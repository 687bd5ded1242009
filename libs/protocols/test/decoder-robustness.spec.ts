// Bodies of the wrong shape must become a 400 in the caller's protocol (ProtocolError) or be tolerated, never an
// uncaught TypeError (a 500); whatever decodes must encode for every target.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ProtocolError,
  anthropicCodec,
  createStreamTranslator,
  geminiCodec,
  openAiChatCodec,
  type ProtocolCodec,
} from '../src';

const codecs: [string, ProtocolCodec][] = [
  ['openai-chat', openAiChatCodec],
  ['anthropic', anthropicCodec],
  ['gemini', geminiCodec],
];

const looseValue = fc.anything({ maxDepth: 3, withNullPrototype: false });
const part = fc.oneof(
  looseValue,
  fc.record(
    {
      type: fc.constantFrom(
        'text',
        'image',
        'image_url',
        'tool_use',
        'tool_result',
        'thinking',
        'file',
        'document',
        'weird',
      ),
      text: looseValue,
      source: looseValue,
      image_url: looseValue,
      id: looseValue,
      name: looseValue,
      input: looseValue,
      content: looseValue,
      tool_use_id: looseValue,
    },
    { requiredKeys: ['type'] },
  ),
);
const message = fc.record(
  {
    role: fc.oneof(
      fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool', 'model', 'function'),
      looseValue,
    ),
    content: fc.oneof(fc.string(), fc.array(part, { maxLength: 4 }), looseValue),
    parts: fc.array(
      fc.oneof(
        looseValue,
        fc.record({
          text: looseValue,
          functionCall: looseValue,
          functionResponse: looseValue,
          inlineData: looseValue,
        }),
      ),
      { maxLength: 3 },
    ),
    tool_calls: fc.oneof(
      looseValue,
      fc.array(fc.record({ id: looseValue, type: looseValue, function: looseValue, custom: looseValue }), {
        maxLength: 2,
      }),
    ),
    tool_call_id: looseValue,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  looseValue,
  fc.record(
    {
      model: fc.oneof(fc.constant('m'), looseValue),
      messages: fc.oneof(fc.array(message, { maxLength: 5 }), looseValue),
      contents: fc.oneof(fc.array(message, { maxLength: 5 }), looseValue),
      system: looseValue,
      systemInstruction: looseValue,
      tools: fc.oneof(looseValue, fc.array(looseValue, { maxLength: 3 })),
      tool_choice: looseValue,
      thinking: looseValue,
      generationConfig: looseValue,
      max_tokens: looseValue,
      stop: looseValue,
      response_format: looseValue,
      metadata: looseValue,
    },
    { requiredKeys: [] },
  ),
);

describe('decoders on malformed bodies', () => {
  for (const [name, codec] of codecs) {
    it(`${name}: ProtocolError or a request every codec can encode`, () => {
      fc.assert(
        fc.property(body, (b) => {
          let ir;
          try {
            ir = codec.decodeRequest(b, { model: 'gemini-2.5-flash' });
          } catch (e) {
            assert.ok(e instanceof ProtocolError, `unexpected ${String(e)}`);
            assert.equal(e.error.status, 400);
            return;
          }
          for (const [, target] of codecs) target.encodeRequest(ir, { model: 'x' });
        }),
        { numRuns: 300, seed: 7 },
      );
    });
  }
});

describe('stream decoders on odd upstream events', () => {
  const event = fc.record({
    event: fc.option(fc.constantFrom('message_start', 'content_block_delta', 'error', 'ping', 'x'), {
      nil: undefined,
    }),
    data: fc.oneof(
      fc.json(),
      fc.constant('[DONE]'),
      fc.string(),
      fc.constant(
        '{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{"}}',
      ),
      fc.constant(
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":5,"function":{"arguments":"x"}}]}}]}',
      ),
      fc.constant(
        '{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":null}}]},"finishReason":"STOP"}]}',
      ),
    ),
  });
  for (const from of ['openai-chat', 'anthropic', 'gemini'] as const) {
    for (const to of ['openai-chat', 'anthropic', 'gemini'] as const) {
      it(`${from} → ${to} never throws`, () => {
        fc.assert(
          fc.property(fc.array(event, { maxLength: 12 }), (events) => {
            const t = createStreamTranslator({ from, to });
            for (const e of events)
              t.pushEvent(e.event === undefined ? { data: e.data } : { event: e.event, data: e.data });
            t.endEvents();
          }),
          { numRuns: 150, seed: 11 },
        );
      });
    }
  }
});
