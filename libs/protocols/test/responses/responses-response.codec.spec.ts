import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IrResponse } from '../../src/ir/response';
import type { IrStreamEvent } from '../../src/ir/stream';
import { ProtocolError } from '../../src/errors/error-shapes';
import { parseSse } from '../../src/sse/sse-parser';
import { serializeSse } from '../../src/sse/sse-serializer';
import {
  ResponsesStreamDecoder,
  ResponsesStreamEncoder,
  decodeResponsesRequest,
  decodeResponsesResponse,
  encodeResponsesRequest,
  encodeResponsesResponse,
  expandPreviousResponse,
  extractResponsesOutcome,
  openReasoning,
  responsesCodec,
  inputItemsOf,
} from '../../src/responses';
import { NOW_SEC, counterIds, usage } from './responses-test-helpers';

const anthropicAnswer: IrResponse = {
  id: 'msg_01XYZ',
  model: 'claude-sonnet-5',
  content: [
    { type: 'thinking', text: 'Plan it.', signature: 'EqSig', origin: { provider: 'anthropic' } },
    { type: 'text', text: 'Patching now.' },
    { type: 'tool_call', id: 'toolu_01A', name: 'exec_command', arguments: '{"cmd":"ls"}' },
    {
      type: 'custom_tool_call',
      id: 'toolu_01B',
      name: 'apply_patch',
      input: '*** Begin Patch\n*** End Patch\n',
    },
  ],
  stopReason: { kind: 'tool_use', raw: 'tool_use' },
  usage: usage({ cacheWriteTokens: 10, reasoningTokens: 7 }),
};

describe('IR response → Responses object', () => {
  it('one output item per part, each with its own id; upstream tool ids become call_ids; usage normalised', () => {
    const res = encodeResponsesResponse(anthropicAnswer, {
      newId: counterIds(),
      nowSec: () => NOW_SEC,
      model: 'claude-sonnet-5',
    });
    assert.equal(res.object, 'response');
    assert.equal(res.id, 'resp_1');
    assert.equal(res.status, 'completed');
    assert.equal(res.completed_at, NOW_SEC);
    assert.equal(res.error, null);
    assert.equal(res.incomplete_details, null);
    assert.deepEqual(
      res.output.map((o) => [o.type, o.id]),
      [
        ['reasoning', 'rs_2'],
        ['message', 'msg_3'],
        ['function_call', 'fc_4'],
        ['custom_tool_call', 'ctc_5'],
      ],
    );
    const [reasoning, message, fn, custom] = res.output;
    assert.ok(reasoning?.type === 'reasoning');
    assert.deepEqual(reasoning.summary, [{ type: 'summary_text', text: 'Plan it.' }]);
    assert.equal(openReasoning(reasoning.encrypted_content!)?.signature, 'EqSig');
    assert.deepEqual(message, {
      id: 'msg_3',
      type: 'message',
      status: 'completed',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Patching now.' }],
      role: 'assistant',
    });
    assert.deepEqual(fn, {
      id: 'fc_4',
      type: 'function_call',
      status: 'completed',
      arguments: '{"cmd":"ls"}',
      call_id: 'toolu_01A',
      name: 'exec_command',
    });
    assert.deepEqual(custom, {
      id: 'ctc_5',
      type: 'custom_tool_call',
      status: 'completed',
      call_id: 'toolu_01B',
      input: '*** Begin Patch\n*** End Patch\n',
      name: 'apply_patch',
    });
    assert.deepEqual(res.usage, {
      input_tokens: 130,
      input_tokens_details: { cached_tokens: 20, cache_write_tokens: 10 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 7 },
      total_tokens: 160,
    });
  });

  it('max tokens gives status incomplete with the reason; the request settings are echoed', () => {
    const body = {
      model: 'claude-sonnet-5',
      input: 'x',
      store: false,
      max_output_tokens: 5,
      reasoning: { effort: 'low' },
      tool_choice: 'required',
    };
    const res = responsesCodec.encodeResponse(
      { ...anthropicAnswer, content: [{ type: 'text', text: 'cut' }], stopReason: { kind: 'max_tokens' } },
      { newId: counterIds(), nowSec: () => NOW_SEC, requestBody: body } as never,
    );
    assert.equal(res.status, 'incomplete');
    assert.deepEqual(res.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(res.completed_at, null);
    assert.equal(res.store, false);
    assert.equal(res.max_output_tokens, 5);
    assert.deepEqual(res.reasoning, { effort: 'low', summary: null });
    assert.equal(res.tool_choice, 'required');
  });
});

describe('Responses upstream → IR (passthrough usage, Responses as upstream)', () => {
  it('decodes a non-streamed response object, deriving tool use from the items', () => {
    const encoded = encodeResponsesResponse(anthropicAnswer, { newId: counterIds(), nowSec: () => NOW_SEC });
    const ir = decodeResponsesResponse(encoded);
    assert.equal(ir.id, 'resp_1');
    assert.equal(ir.stopReason.kind, 'tool_use');
    assert.deepEqual(
      ir.content.map((p) => p.type),
      ['thinking', 'text', 'tool_call', 'custom_tool_call'],
    );
    assert.deepEqual(ir.content[2], {
      type: 'tool_call',
      id: 'toolu_01A',
      name: 'exec_command',
      arguments: '{"cmd":"ls"}',
      origin: { provider: 'openai' },
      itemId: 'fc_4',
    });
    assert.equal(ir.usage.inputUncachedTokens, 100);
    assert.equal(ir.usage.cacheReadTokens, 20);
    assert.equal(ir.usage.cacheWriteTokens, 10);
    assert.equal(ir.usage.reasoningTokens, 7);
    assert.throws(() => decodeResponsesResponse({ id: 'x' }), ProtocolError);
  });

  it('a Responses stream decodes to IR events and re-encodes to the same items (round trip through SSE text)', () => {
    const events: IrStreamEvent[] = [
      { type: 'message_start', id: 'resp_up', model: 'gpt-5.5' },
      {
        type: 'block_start',
        index: 0,
        block: { type: 'thinking', origin: { provider: 'openai' }, itemId: 'rs_up' },
      },
      { type: 'block_delta', index: 0, delta: { type: 'thinking', text: 'hmm' } },
      { type: 'block_delta', index: 0, delta: { type: 'signature', signature: 'gAAAAenc' } },
      { type: 'block_stop', index: 0 },
      { type: 'block_start', index: 1, block: { type: 'text' } },
      { type: 'block_delta', index: 1, delta: { type: 'text', text: 'Hi ' } },
      { type: 'block_delta', index: 1, delta: { type: 'text', text: 'there' } },
      { type: 'block_stop', index: 1 },
      {
        type: 'block_start',
        index: 2,
        block: { type: 'tool_call', id: 'call_1', name: 'f', itemId: 'fc_up' },
      },
      { type: 'block_delta', index: 2, delta: { type: 'arguments', json: '{"a":' } },
      { type: 'block_delta', index: 2, delta: { type: 'arguments', json: '1}' } },
      { type: 'block_stop', index: 2 },
      { type: 'message_delta', stopReason: { kind: 'tool_use' }, usage: usage() },
      { type: 'message_stop' },
    ];
    const enc = new ResponsesStreamEncoder({ newId: counterIds(), nowSec: () => NOW_SEC });
    const sse = serializeSse([...events.flatMap((e) => enc.push(e)), ...enc.end()]);
    assert.ok(sse.startsWith('event: response.created\ndata: {"type":"response.created","response":'));

    const dec = new ResponsesStreamDecoder();
    const ir = [...parseSse(sse).flatMap((e) => dec.push(e)), ...dec.end()];
    assert.deepEqual(
      ir.map((e) => e.type),
      events.map((e) => e.type),
    );
    const start = ir[0]!;
    assert.ok(start.type === 'message_start' && start.id === 'resp_up' && start.model === 'gpt-5.5');
    const delta = ir[ir.length - 2]!;
    assert.ok(delta.type === 'message_delta');
    assert.equal(delta.stopReason?.kind, 'tool_use');
    assert.equal(delta.usage?.inputUncachedTokens, 100);
    assert.equal(delta.usage?.cacheReadTokens, 20);
    assert.ok(delta.usage?.raw, 'the provider usage object is kept raw');
    assert.deepEqual(ir[3], {
      type: 'block_delta',
      index: 0,
      delta: { type: 'signature', signature: 'gAAAAenc' },
    });
    assert.deepEqual(ir[9], {
      type: 'block_start',
      index: 2,
      block: { type: 'tool_call', id: 'call_1', name: 'f', origin: { provider: 'openai' }, itemId: 'fc_up' },
    });
  });

  it('a server that sends a message only as output_item.done still yields its text', () => {
    const frames = parseSse(
      [
        { type: 'response.created', response: { id: 'resp_s', model: 'm' } },
        {
          type: 'response.output_item.added',
          output_index: 0,
          item: { id: 'msg_1', type: 'message', content: [] },
        },
        {
          type: 'response.output_item.done',
          output_index: 0,
          item: { id: 'msg_1', type: 'message', content: [{ type: 'output_text', text: 'whole' }] },
        },
        { type: 'response.completed', response: { id: 'resp_s', status: 'completed', usage: {} } },
      ]
        .map((d) => `event: ${d.type}\ndata: ${JSON.stringify(d)}\n\n`)
        .join(''),
    );
    const dec = new ResponsesStreamDecoder();
    const out = frames.flatMap((f) => dec.push(f));
    assert.deepEqual(
      out.map((e) => e.type),
      ['message_start', 'block_start', 'block_delta', 'block_stop', 'message_delta', 'message_stop'],
    );
    assert.deepEqual(out[2], { type: 'block_delta', index: 0, delta: { type: 'text', text: 'whole' } });
  });

  it('a failed or truncated upstream stream becomes an IR error', () => {
    const failed = parseSse(
      'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_f","model":"m"}}\n\n' +
        'event: response.failed\ndata: {"type":"response.failed","sequence_number":1,"response":{"id":"resp_f","status":"failed","error":{"code":"rate_limit_exceeded","message":"slow"}}}\n\n',
    );
    const dec = new ResponsesStreamDecoder();
    const out = failed.flatMap((e) => dec.push(e));
    const err = out[out.length - 1]!;
    assert.ok(err.type === 'error');
    assert.equal(err.error.kind, 'rate_limit');
    assert.equal(err.error.message, 'slow');
    assert.deepEqual(dec.end(), []);
    const cut = new ResponsesStreamDecoder();
    cut.push(failed[0]!);
    assert.equal(cut.end().at(-1)?.type, 'error');
  });

  it('extracts response id and usage (normalised + raw) from the terminal event only', () => {
    const frames = parseSse(
      'event: response.in_progress\ndata: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_9"}}\n\n' +
        'event: response.completed\ndata: {"type":"response.completed","sequence_number":7,"response":{"id":"resp_9","model":"gpt-5.5","status":"completed",' +
        '"usage":{"input_tokens":120,"input_tokens_details":{"cached_tokens":64},"output_tokens":30,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":150}}}\n\n',
    );
    assert.equal(extractResponsesOutcome(frames[0]!), undefined);
    const outcome = extractResponsesOutcome(frames[1]!);
    assert.equal(outcome?.responseId, 'resp_9');
    assert.equal(outcome?.status, 'completed');
    assert.equal(outcome?.model, 'gpt-5.5');
    assert.equal(outcome?.usage?.inputUncachedTokens, 56);
    assert.equal(outcome?.usage?.cacheReadTokens, 64);
    assert.equal(outcome?.usage?.outputTokens, 30);
    assert.equal(outcome?.usage?.reasoningTokens, 12);
    assert.deepEqual((outcome?.usage?.raw as { total_tokens: number }).total_tokens, 150);
    // The parsed payload works too.
    assert.equal(
      extractResponsesOutcome(JSON.parse(frames[1]!.data) as Record<string, unknown>)?.responseId,
      'resp_9',
    );
  });
});

describe('previous_response_id', () => {
  it('rebuilds the full input from the stored turn; earlier instructions are not carried over', () => {
    const first = { model: 'claude-sonnet-5', instructions: 'old rules', input: 'create hello.txt' };
    const answer = encodeResponsesResponse(
      {
        ...anthropicAnswer,
        content: [{ type: 'tool_call', id: 'toolu_1', name: 'exec_command', arguments: '{}' }],
      },
      { newId: counterIds(), nowSec: () => NOW_SEC, requestBody: first },
    );
    // What the gateway's store keeps: the input as items and the response (see ResponsesStore.turn).
    const stored = {
      id: answer.id,
      input: inputItemsOf(first),
      output: answer.output,
      createdAtSec: answer.created_at,
    };
    const next = {
      model: 'claude-sonnet-5',
      instructions: 'new rules',
      previous_response_id: answer.id,
      input: [{ type: 'function_call_output', call_id: 'toolu_1', output: 'done' }],
    };
    const expanded = expandPreviousResponse(next, stored);
    assert.equal(expanded.previous_response_id, undefined);
    const { ir } = decodeResponsesRequest(expanded);
    assert.deepEqual(ir.system, [{ role: 'system', text: 'new rules' }]);
    assert.deepEqual(
      ir.messages.map((m) => [m.role, m.content.map((p) => p.type).join(',')]),
      [
        ['user', 'text'],
        ['assistant', 'tool_call'],
        ['tool', 'tool_result'],
      ],
    );
    const result = ir.messages[2]!.content[0]!;
    assert.ok(result.type === 'tool_result' && result.name === 'exec_command');

    assert.equal(
      expandPreviousResponse({ model: 'm', input: 'x' }, undefined).input,
      'x',
      'no id: unchanged',
    );
    assert.throws(
      () => expandPreviousResponse(next, undefined),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.error.code === 'previous_response_not_found' &&
        e.error.param === 'previous_response_id',
    );
  });
});

describe('IR → Responses request (Responses-only OpenAI models as upstream)', () => {
  it('encodes the conversation statelessly: no item ids, only OpenAI reasoning replayed, foreign thinking dropped', () => {
    const { ir } = decodeResponsesRequest({
      model: 'gpt-5.5',
      instructions: 'rules',
      reasoning: { effort: 'high' },
      previous_response_id: 'resp_gateway',
      tools: [
        { type: 'function', name: 'f', parameters: { type: 'object' } },
        { type: 'custom', name: 'apply_patch' },
      ],
      input: [
        { role: 'user', content: 'go' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAAx' },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
        { type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: 'P' },
        { type: 'custom_tool_call_output', call_id: 'call_2', output: 'done' },
      ],
    });
    ir.messages[1]!.content.unshift({
      type: 'thinking',
      text: 'claude thought',
      signature: 'Eq',
      origin: { provider: 'anthropic' },
    });
    const { body, dropped } = encodeResponsesRequest(ir);
    assert.deepEqual(body.input, [
      { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'rules' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'go' }] },
      { type: 'reasoning', summary: [], encrypted_content: 'gAAAAx' },
      { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_1', output: 'ok' },
      { type: 'custom_tool_call', call_id: 'call_2', name: 'apply_patch', input: 'P' },
      { type: 'custom_tool_call_output', call_id: 'call_2', output: 'done' },
    ]);
    assert.equal(body.store, false);
    assert.equal(body.previous_response_id, undefined);
    assert.deepEqual(body.reasoning, { effort: 'high' });
    assert.deepEqual(body.include, ['reasoning.encrypted_content']);
    assert.deepEqual(dropped, ['messages[1].content[0].thinking']);
  });
});
