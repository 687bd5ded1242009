// Codex's requests through the Responses codec to Anthropic and Gemini and back, over two turns, with the
// upstream codecs of this library in between: what the gateway's translation path does, minus HTTP.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anthropicCodec } from '../../src/anthropic';
import { geminiCodec } from '../../src/gemini';
import type { ProtocolCodec } from '../../src/ir/codec';
import { parseSse } from '../../src/sse/sse-parser';
import {
  ResponsesStreamWriter,
  decodeResponsesRequest,
  sealReasoning,
  type ResponsesResponse,
  type ResponsesStreamEvent,
} from '../../src/responses';
import { NOW_SEC, counterIds, types } from './responses-test-helpers';

const codexBody = (): Record<string, unknown> =>
  (
    JSON.parse(readFileSync(join(__dirname, 'fixtures', 'codex-apply-patch-turn1.json'), 'utf8')) as {
      body: Record<string, unknown>;
    }
  ).body;

const sse = (frames: [string | undefined, unknown][]): string =>
  frames
    .map(([event, data]) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`)
    .join('');

/** One gateway turn: Responses body → upstream request; scripted upstream stream → Responses events. */
const turn = (
  codec: ProtocolCodec,
  body: Record<string, unknown>,
  upstreamSse: string,
): { upstreamBody: Record<string, unknown>; events: ResponsesStreamEvent[]; final: ResponsesResponse } => {
  const { ir, toolNames } = decodeResponsesRequest(body);
  const encoded = codec.encodeRequest(ir);
  const decoder = codec.createStreamDecoder({ tools: encoded.tools, model: ir.model });
  const writer = new ResponsesStreamWriter({
    request: ir,
    toolNames,
    requestBody: body,
    newId: counterIds(),
    nowSec: () => NOW_SEC,
  });
  const events: ResponsesStreamEvent[] = [];
  for (const frame of parseSse(upstreamSse))
    for (const ev of decoder.push(frame)) events.push(...writer.push(ev));
  for (const ev of decoder.end()) events.push(...writer.push(ev));
  events.push(...writer.end());
  return { upstreamBody: encoded.body, events, final: writer.snapshot() };
};

/** What Codex sends next: the previous input, the output items as they came, then the tool outputs. */
const nextBody = (
  body: Record<string, unknown>,
  final: ResponsesResponse,
  outputs: Record<string, unknown>[],
): Record<string, unknown> => ({
  ...body,
  input: [...(body.input as unknown[]), ...structuredClone(final.output), ...outputs],
});

const PATCH = '*** Begin Patch\n*** Add File: x.txt\n+x\n*** End Patch\n';

describe('Codex tool loop through the Responses codec', () => {
  it('on Anthropic: thinking, text, apply_patch (custom) and exec_command calls; the signed thinking replays next turn', () => {
    const body = { ...codexBody(), model: 'claude-sonnet-5' };
    const upstream = sse([
      [
        'message_start',
        {
          type: 'message_start',
          message: {
            id: 'msg_01A',
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-5',
            content: [],
            usage: { input_tokens: 10, output_tokens: 1 },
          },
        },
      ],
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'thinking_delta', thinking: 'Add the file.' },
        },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqSIG' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'content_block_start',
        { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Patching.' } },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
      [
        'content_block_start',
        {
          type: 'content_block_start',
          index: 2,
          content_block: { type: 'tool_use', id: 'toolu_01P', name: 'apply_patch', input: {} },
        },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 2,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify({ input: PATCH }).slice(0, 25) },
        },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 2,
          delta: { type: 'input_json_delta', partial_json: JSON.stringify({ input: PATCH }).slice(25) },
        },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 2 }],
      [
        'content_block_start',
        {
          type: 'content_block_start',
          index: 3,
          content_block: { type: 'tool_use', id: 'toolu_01Q', name: 'exec_command', input: {} },
        },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 3,
          delta: { type: 'input_json_delta', partial_json: '{"cmd":"cat x.txt"}' },
        },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 3 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use' },
          usage: { input_tokens: 10, cache_read_input_tokens: 5, output_tokens: 40 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ]);
    const t1 = turn(anthropicCodec, body, upstream);
    // Upstream side: custom tool offered as a function; hosted tools not sent.
    const tools = (t1.upstreamBody.tools as { name: string }[]).map((t) => t.name);
    assert.ok(tools.includes('apply_patch') && tools.includes('exec_command'));
    assert.ok(!tools.includes('web_search'));
    // Client side: four items, each with its own id and upstream call ids.
    assert.equal(t1.events.at(-1)?.type, 'response.completed');
    assert.deepEqual(
      t1.final.output.map((o) => [o.type, 'call_id' in o ? o.call_id : undefined]),
      [
        ['reasoning', undefined],
        ['message', undefined],
        ['custom_tool_call', 'toolu_01P'],
        ['function_call', 'toolu_01Q'],
      ],
    );
    const custom = t1.final.output[2]!;
    assert.ok(custom.type === 'custom_tool_call' && custom.input === PATCH && custom.name === 'apply_patch');
    assert.ok(types(t1.events).includes('response.custom_tool_call_input.delta'));
    assert.deepEqual(t1.final.usage?.input_tokens_details, { cached_tokens: 5 });
    assert.equal(t1.final.usage?.input_tokens, 15);

    // Turn 2: Codex replays everything statelessly; Anthropic must see the signed thinking first in the turn.
    const body2 = nextBody(body, t1.final, [
      { type: 'custom_tool_call_output', call_id: 'toolu_01P', output: 'Success.' },
      { type: 'function_call_output', call_id: 'toolu_01Q', output: 'x' },
    ]);
    const t2 = turn(
      anthropicCodec,
      body2,
      sse([
        [
          'message_start',
          { type: 'message_start', message: { id: 'msg_02', model: 'claude-sonnet-5', usage: {} } },
        ],
      ]),
    );
    const messages = t2.upstreamBody.messages as {
      role: string;
      content: { type: string; [k: string]: unknown }[];
    }[];
    const assistant = messages.at(-2)!;
    assert.equal(assistant.role, 'assistant');
    assert.deepEqual(
      assistant.content.map((c) => c.type),
      ['thinking', 'text', 'tool_use', 'tool_use'],
    );
    assert.equal(assistant.content[0]!.signature, 'EqSIG');
    assert.equal(assistant.content[0]!.thinking, 'Add the file.');
    assert.deepEqual(assistant.content[2]!.input, { input: PATCH });
    const results = messages.at(-1)!;
    assert.deepEqual(
      results.content.map((c) => [c.type, c.tool_use_id]),
      [
        ['tool_result', 'toolu_01P'],
        ['tool_result', 'toolu_01Q'],
      ],
    );
    // That stream ended without a stop: the client still gets a terminal event.
    assert.equal(t2.events.at(-1)?.type, 'response.failed');
  });

  it('on Gemini: the function call thought signature survives the round trip through Codex', () => {
    const body = { ...codexBody(), model: 'gemini-3-pro' };
    const upstream = sse([
      [
        undefined,
        {
          candidates: [
            {
              content: {
                role: 'model',
                parts: [
                  { text: 'Listing.' },
                  {
                    functionCall: { name: 'exec_command', args: { cmd: 'ls' } },
                    thoughtSignature: 'CiQGEMSIG',
                  },
                ],
              },
              finishReason: 'STOP',
            },
          ],
          usageMetadata: {
            promptTokenCount: 50,
            candidatesTokenCount: 8,
            thoughtsTokenCount: 4,
            cachedContentTokenCount: 10,
          },
          modelVersion: 'gemini-3-pro',
        },
      ],
    ]);
    const t1 = turn(geminiCodec, body, upstream);
    assert.equal(t1.events.at(-1)?.type, 'response.completed');
    assert.deepEqual(
      t1.final.output.map((o) => o.type),
      ['message', 'reasoning', 'function_call'],
    );
    const call = t1.final.output[2]!;
    assert.ok(
      call.type === 'function_call' && call.name === 'exec_command' && call.arguments === '{"cmd":"ls"}',
    );
    assert.deepEqual(t1.final.usage, {
      input_tokens: 50,
      input_tokens_details: { cached_tokens: 10 },
      output_tokens: 12,
      output_tokens_details: { reasoning_tokens: 4 },
      total_tokens: 62,
    });

    const body2 = nextBody(body, t1.final, [
      { type: 'function_call_output', call_id: call.call_id, output: 'x.txt' },
    ]);
    const t2 = turn(geminiCodec, body2, '');
    const contents = t2.upstreamBody.contents as { role: string; parts: Record<string, unknown>[] }[];
    const model = contents.filter((c) => c.role === 'model').at(-1)!;
    const fc = model.parts.find((p) => 'functionCall' in p)!;
    assert.equal(fc.thoughtSignature, 'CiQGEMSIG');
    const response = contents.at(-1)!.parts.find((p) => 'functionResponse' in p)!;
    assert.equal((response.functionResponse as { name: string }).name, 'exec_command');
  });
  it('reasoning is replayed only to the provider that made it', () => {
    const body = (encrypted: string): Record<string, unknown> => ({
      model: 'x',
      reasoning: { effort: 'medium' },
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
      input: [
        { role: 'user', content: 'q' },
        {
          type: 'reasoning',
          id: 'rs_1',
          summary: [{ type: 'summary_text', text: 'private chain' }],
          encrypted_content: encrypted,
        },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
      ],
    });
    const fromAnthropic = sealReasoning({ origin: { provider: 'anthropic' }, signature: 'EqSIG' });
    const cases: [string, ProtocolCodec, string, boolean][] = [
      ['gAAAAopenai', anthropicCodec, 'claude-sonnet-4-5', false],
      ['gAAAAopenai', geminiCodec, 'gemini-3-pro', false],
      [fromAnthropic, anthropicCodec, 'claude-sonnet-4-5', true],
      [fromAnthropic, geminiCodec, 'gemini-3-pro', false],
    ];
    for (const [encrypted, codec, model, replayed] of cases) {
      const { ir } = decodeResponsesRequest(body(encrypted));
      const sent = JSON.stringify(codec.encodeRequest(ir, { model }).body);
      assert.equal(sent.includes('private chain'), replayed, `${codec.protocol} ← ${encrypted.slice(0, 8)}`);
      assert.equal(sent.includes('EqSIG'), replayed);
      assert.ok(!sent.includes('gAAAA'));
    }
  });
});
