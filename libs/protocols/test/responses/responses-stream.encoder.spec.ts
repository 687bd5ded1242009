import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import type { IrStreamEvent } from '../../src/ir/stream';
import type { IrRequest } from '../../src/ir/request';
import {
  ResponsesStreamEncoder,
  ResponsesStreamWriter,
  openReasoning,
  type ResponsesEncodeOptions,
  type ResponsesStreamEvent,
} from '../../src/responses';
import { NOW_SEC, counterIds, field, textBlock, toolBlock, types, usage } from './responses-test-helpers';

const run = (
  events: IrStreamEvent[],
  opts: ResponsesEncodeOptions = {},
): { out: ResponsesStreamEvent[]; writer: ResponsesStreamWriter } => {
  const writer = new ResponsesStreamWriter({
    newId: counterIds(),
    nowSec: () => NOW_SEC,
    model: 'gpt-5.5',
    ...opts,
  });
  const out: ResponsesStreamEvent[] = [];
  for (const ev of events) out.push(...writer.push(ev));
  out.push(...writer.end());
  return { out, writer };
};

/** Checks the invariants openai-node's accumulator and Codex rely on, and that replaying gives the final object. */
const assertWellFormed = (out: ResponsesStreamEvent[]): void => {
  out.forEach((e, i) => assert.equal(e.sequence_number, i, `sequence_number of event ${i} (${e.type})`));
  const terminal = out.filter((e) =>
    ['response.completed', 'response.incomplete', 'response.failed'].includes(e.type),
  );
  assert.equal(terminal.length, 1, 'exactly one terminal event');
  assert.equal(out[out.length - 1], terminal[0], 'terminal event is last');
  let snapshot: ReturnType<typeof accumulateResponse> | undefined;
  for (const e of out) snapshot = accumulateResponse(e as unknown as ResponseStreamEvent, snapshot);
  const final = field(terminal[0]!, 'response') as { output: unknown[] };
  assert.deepEqual(snapshot!.output, final.output, 'replaying the events rebuilds the final output');
};

const start: IrStreamEvent = { type: 'message_start', id: 'msg_01Upstream', model: 'claude-sonnet-5' };
const stop = (kind: 'end_turn' | 'tool_use' | 'max_tokens', u = usage()): IrStreamEvent[] => [
  { type: 'message_delta', stopReason: { kind }, usage: u },
  { type: 'message_stop' },
];

describe('Responses stream encoder', () => {
  it('text only: the exact OpenAI event sequence with ids, indices and sequence numbers', () => {
    const { out } = run([start, ...textBlock(0, 'Hel', 'lo'), ...stop('end_turn')]);
    assert.deepEqual(types(out), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assertWellFormed(out);
    const [created, inProgress, added, partAdded, d1, d2, textDone, partDone, itemDone, completed] = out;
    assert.deepEqual(created, {
      type: 'response.created',
      sequence_number: 0,
      response: {
        id: 'resp_1',
        object: 'response',
        created_at: NOW_SEC,
        status: 'in_progress',
        completed_at: null,
        error: null,
        incomplete_details: null,
        instructions: null,
        max_output_tokens: null,
        model: 'gpt-5.5',
        output: [],
        parallel_tool_calls: true,
        previous_response_id: null,
        reasoning: { effort: null, summary: null },
        store: true,
        temperature: 1,
        text: { format: { type: 'text' }, verbosity: 'medium' },
        tool_choice: 'auto',
        tools: [],
        top_p: 1,
        truncation: 'disabled',
        usage: null,
        user: null,
        metadata: {},
      },
    });
    assert.equal(field(inProgress!, 'sequence_number'), 1);
    assert.deepEqual(added, {
      type: 'response.output_item.added',
      sequence_number: 2,
      output_index: 0,
      item: { id: 'msg_2', type: 'message', status: 'in_progress', content: [], role: 'assistant' },
    });
    assert.deepEqual(partAdded, {
      type: 'response.content_part.added',
      sequence_number: 3,
      item_id: 'msg_2',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
    });
    assert.deepEqual(d1, {
      type: 'response.output_text.delta',
      sequence_number: 4,
      item_id: 'msg_2',
      output_index: 0,
      content_index: 0,
      delta: 'Hel',
      logprobs: [],
    });
    assert.equal(field(d2!, 'delta'), 'lo');
    assert.deepEqual(textDone, {
      type: 'response.output_text.done',
      sequence_number: 6,
      item_id: 'msg_2',
      output_index: 0,
      content_index: 0,
      text: 'Hello',
      logprobs: [],
    });
    assert.deepEqual(field(partDone!, 'part'), {
      type: 'output_text',
      annotations: [],
      logprobs: [],
      text: 'Hello',
    });
    assert.deepEqual(field(itemDone!, 'item'), {
      id: 'msg_2',
      type: 'message',
      status: 'completed',
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello' }],
      role: 'assistant',
    });
    const final = field(completed!, 'response') as Record<string, unknown>;
    assert.equal(final.status, 'completed');
    assert.equal(final.completed_at, NOW_SEC);
    assert.deepEqual(final.usage, {
      input_tokens: 120,
      input_tokens_details: { cached_tokens: 20 },
      output_tokens: 30,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 150,
    });
  });

  it('emits each event as it arrives: deltas are not held back until the end', () => {
    const writer = new ResponsesStreamWriter({ newId: counterIds(), nowSec: () => NOW_SEC });
    assert.deepEqual(types(writer.begin()), ['response.created', 'response.in_progress']);
    assert.deepEqual(writer.push(start), [], 'created was already sent by begin()');
    assert.deepEqual(writer.push({ type: 'block_start', index: 0, block: { type: 'text' } }), []);
    const first = writer.push({ type: 'block_delta', index: 0, delta: { type: 'text', text: 'first' } });
    assert.deepEqual(types(first), [
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
    ]);
    const second = writer.push({ type: 'block_delta', index: 0, delta: { type: 'text', text: 'second' } });
    assert.deepEqual(types(second), ['response.output_text.delta']);
    assert.equal(field(second[0]!, 'delta'), 'second');
  });

  it('empty upstream blocks leave no empty items; a signature-only thinking block still gives its reasoning item', () => {
    const { out } = run([
      start,
      { type: 'block_start', index: 0, block: { type: 'thinking', origin: { provider: 'anthropic' } } },
      { type: 'block_delta', index: 0, delta: { type: 'signature', signature: 'EqOnly' } },
      { type: 'block_stop', index: 0 },
      ...textBlock(1, ''),
      { type: 'block_start', index: 2, block: { type: 'thinking' } },
      { type: 'block_stop', index: 2 },
      ...toolBlock(3, 'toolu_X', 'exec_command', '{}'),
      ...stop('tool_use'),
    ]);
    assertWellFormed(out);
    const final = field(out[out.length - 1]!, 'response') as { output: Record<string, unknown>[] };
    assert.deepEqual(
      final.output.map((o) => o.type),
      ['reasoning', 'function_call'],
    );
    assert.deepEqual(final.output[0]!.summary, []);
    assert.equal(openReasoning(final.output[0]!.encrypted_content as string)?.signature, 'EqOnly');
    assert.ok(!types(out).some((t) => t.startsWith('response.reasoning_summary')));
  });

  it('text + two parallel function calls: one output item each, upstream toolu_ ids kept as call_id', () => {
    const { out } = run([
      start,
      ...textBlock(0, 'Running both.'),
      ...toolBlock(1, 'toolu_01A', 'exec_command', '{"cmd":', '"ls"}'),
      ...toolBlock(2, 'toolu_01B', 'exec_command', '{"cmd":"pwd"}'),
      ...stop('tool_use'),
    ]);
    assertWellFormed(out);
    assert.deepEqual(types(out).slice(8), [
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const added = out.filter((e) => e.type === 'response.output_item.added');
    assert.deepEqual(
      added.map((e) => field(e, 'output_index')),
      [0, 1, 2],
    );
    assert.deepEqual(field(added[1]!, 'item'), {
      id: 'fc_3',
      type: 'function_call',
      status: 'in_progress',
      arguments: '',
      call_id: 'toolu_01A',
      name: 'exec_command',
    });
    const argsDone = out.filter((e) => e.type === 'response.function_call_arguments.done');
    assert.deepEqual(argsDone[0], {
      type: 'response.function_call_arguments.done',
      sequence_number: 11,
      item_id: 'fc_3',
      output_index: 1,
      name: 'exec_command',
      arguments: '{"cmd":"ls"}',
    });
    assert.equal(field(argsDone[1]!, 'item_id'), 'fc_4');
    assert.equal(field(argsDone[1]!, 'output_index'), 2);
    const final = field(out[out.length - 1]!, 'response') as {
      status: string;
      output: Record<string, unknown>[];
    };
    assert.equal(final.status, 'completed');
    assert.deepEqual(
      final.output.map((o) => [o.type, o.id, o.call_id, o.status]),
      [
        ['message', 'msg_2', undefined, 'completed'],
        ['function_call', 'fc_3', 'toolu_01A', 'completed'],
        ['function_call', 'fc_4', 'toolu_01B', 'completed'],
      ],
    );
  });

  it('a custom tool call (apply_patch) streams as custom_tool_call_input events', () => {
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n';
    const { out } = run([
      start,
      {
        type: 'block_start',
        index: 0,
        block: { type: 'custom_tool_call', id: 'call_9', name: 'apply_patch', itemId: 'ctc_up' },
      },
      { type: 'block_delta', index: 0, delta: { type: 'custom_input', text: patch.slice(0, 20) } },
      { type: 'block_delta', index: 0, delta: { type: 'custom_input', text: patch.slice(20) } },
      { type: 'block_stop', index: 0 },
      ...stop('tool_use'),
    ]);
    assertWellFormed(out);
    assert.deepEqual(types(out), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.deepEqual(field(out[2]!, 'item'), {
      id: 'ctc_up',
      type: 'custom_tool_call',
      status: 'in_progress',
      call_id: 'call_9',
      input: '',
      name: 'apply_patch',
    });
    assert.deepEqual(out[5], {
      type: 'response.custom_tool_call_input.done',
      sequence_number: 5,
      item_id: 'ctc_up',
      output_index: 0,
      input: patch,
    });
  });

  it('a custom tool offered as a one-string function comes back as custom_tool_call, decoded as it streams', () => {
    const request: IrRequest = {
      model: 'gpt-5.5',
      system: [],
      messages: [],
      tools: [{ type: 'custom', name: 'apply_patch' }],
      sampling: {},
      stream: true,
      extras: { native: {}, dropped: [] },
    };
    const patch = '*** Begin Patch\n*** Add File: "q".txt\n+é😀\n*** End Patch\n';
    const json = JSON.stringify({ input: patch });
    // Split at awkward places: inside the key, inside an escape, inside a surrogate pair escape.
    const cuts = [3, 11, 30, 31, 45, json.length - 5];
    const pieces: string[] = [];
    let prev = 0;
    for (const c of cuts) {
      pieces.push(json.slice(prev, c));
      prev = c;
    }
    pieces.push(json.slice(prev));
    const { out } = run([start, ...toolBlock(0, 'toolu_P', 'apply_patch', ...pieces), ...stop('tool_use')], {
      request,
    });
    assertWellFormed(out);
    const deltas = out
      .filter((e) => e.type === 'response.custom_tool_call_input.delta')
      .map((e) => field(e, 'delta') as string);
    assert.ok(deltas.length >= 3, `streamed in several deltas, got ${deltas.length}`);
    assert.equal(deltas.join(''), patch);
    const done = out.find((e) => e.type === 'response.custom_tool_call_input.done')!;
    assert.equal(field(done, 'input'), patch);
    const item = field(
      out.find((e) => e.type === 'response.output_item.done')!,
      'item',
    ) as Record<string, unknown>;
    assert.equal(item.type, 'custom_tool_call');
    assert.equal(item.call_id, 'toolu_P');
    assert.equal(item.name, 'apply_patch');
  });

  it('namespaced tools come back with their namespace and inner name', () => {
    const request: IrRequest = {
      model: 'claude-sonnet-5',
      system: [],
      messages: [],
      tools: [
        {
          type: 'function',
          name: 'multi_agent_v1__spawn_agent',
          namespace: 'multi_agent_v1',
          parameters: {},
        },
      ],
      sampling: {},
      stream: true,
      extras: { native: {}, dropped: [] },
    };
    const { out } = run(
      [start, ...toolBlock(0, 'toolu_N', 'multi_agent_v1__spawn_agent', '{}'), ...stop('tool_use')],
      { request },
    );
    const item = field(
      out.find((e) => e.type === 'response.output_item.done')!,
      'item',
    ) as Record<string, unknown>;
    assert.equal(item.name, 'spawn_agent');
    assert.equal(item.namespace, 'multi_agent_v1');
  });

  it('max tokens: response.incomplete with reason max_output_tokens', () => {
    const { out } = run([start, ...textBlock(0, 'cut'), ...stop('max_tokens', usage({ outputTokens: 5 }))]);
    assertWellFormed(out);
    const last = out[out.length - 1]!;
    assert.equal(last.type, 'response.incomplete');
    const response = field(last, 'response') as Record<string, unknown>;
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal((response.usage as { output_tokens: number }).output_tokens, 5);
    assert.equal(response.completed_at, null);
  });

  it('an upstream error mid-stream ends with error + response.failed carrying the error', () => {
    const { out } = run([
      start,
      { type: 'block_start', index: 0, block: { type: 'text' } },
      { type: 'block_delta', index: 0, delta: { type: 'text', text: 'partial' } },
      { type: 'error', error: { status: 529, kind: 'overloaded', message: 'Overloaded' } },
      // Anything after the terminal event is ignored.
      { type: 'block_delta', index: 0, delta: { type: 'text', text: 'late' } },
    ]);
    assert.deepEqual(types(out), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'error',
      'response.failed',
    ]);
    assertWellFormed(out);
    assert.deepEqual(out[5], {
      type: 'error',
      sequence_number: 5,
      code: 'server_error',
      message: 'Overloaded',
      param: null,
    });
    const response = field(out[6]!, 'response') as Record<string, unknown>;
    assert.equal(response.status, 'failed');
    assert.deepEqual(response.error, { code: 'server_error', message: 'Overloaded' });
    assert.equal((response.output as { status: string }[])[0]!.status, 'incomplete');
  });

  it('rate limits keep their code; a stream cut without a stop fails instead of hanging', () => {
    const rl = run([
      start,
      { type: 'error', error: { status: 429, kind: 'rate_limit', message: 'slow down' } },
    ]).out;
    assert.equal(field(rl[rl.length - 2]!, 'code'), 'rate_limit_exceeded');
    const cut = run([start, ...textBlock(0, 'x')]).out;
    assert.equal(cut[cut.length - 1]!.type, 'response.failed');
    assertWellFormed(cut);
  });

  it('reasoning: summary events, and the Anthropic signature sealed in encrypted_content', () => {
    const { out } = run([
      start,
      {
        type: 'block_start',
        index: 0,
        block: { type: 'thinking', origin: { provider: 'anthropic', model: 'claude-sonnet-5' } },
      },
      { type: 'block_delta', index: 0, delta: { type: 'thinking', text: 'Let me ' } },
      { type: 'block_delta', index: 0, delta: { type: 'thinking', text: 'think.' } },
      { type: 'block_delta', index: 0, delta: { type: 'signature', signature: 'EqQBsig' } },
      { type: 'block_stop', index: 0 },
      ...textBlock(1, 'Done.'),
      ...stop('end_turn'),
    ]);
    assertWellFormed(out);
    assert.deepEqual(types(out).slice(2, 9), [
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
    ]);
    assert.deepEqual(field(out[2]!, 'item'), { id: 'rs_2', type: 'reasoning', summary: [] });
    assert.deepEqual(out[3], {
      type: 'response.reasoning_summary_part.added',
      sequence_number: 3,
      item_id: 'rs_2',
      output_index: 0,
      summary_index: 0,
      part: { type: 'summary_text', text: '' },
    });
    const item = field(out[8]!, 'item') as { summary: unknown; encrypted_content: string };
    assert.deepEqual(item.summary, [{ type: 'summary_text', text: 'Let me think.' }]);
    assert.deepEqual(openReasoning(item.encrypted_content), {
      origin: { provider: 'anthropic', model: 'claude-sonnet-5' },
      signature: 'EqQBsig',
    });
  });

  it('OpenAI encrypted reasoning passes through unsealed; Gemini call signatures ride in a reasoning item', () => {
    const openai = run([
      start,
      { type: 'block_start', index: 0, block: { type: 'thinking', origin: { provider: 'openai' } } },
      { type: 'block_delta', index: 0, delta: { type: 'signature', signature: 'gAAAAenc' } },
      { type: 'block_stop', index: 0 },
      ...stop('end_turn'),
    ]).out;
    const rs = field(
      openai.find((e) => e.type === 'response.output_item.done')!,
      'item',
    ) as Record<string, unknown>;
    assert.equal(rs.encrypted_content, 'gAAAAenc');
    assert.deepEqual(rs.summary, []);

    const gemini = run([
      start,
      {
        type: 'block_start',
        index: 0,
        block: {
          type: 'tool_call',
          id: 'call_g',
          name: 'f',
          signature: 'CiQsig',
          origin: { provider: 'gemini' },
        },
      },
      { type: 'block_delta', index: 0, delta: { type: 'arguments', json: '{"a":1}' } },
      { type: 'block_stop', index: 0 },
      ...stop('tool_use'),
    ]).out;
    assertWellFormed(gemini);
    const items = (field(gemini[gemini.length - 1]!, 'response') as { output: Record<string, unknown>[] })
      .output;
    assert.deepEqual(
      items.map((i) => i.type),
      ['reasoning', 'function_call'],
    );
    assert.deepEqual(openReasoning(items[0]!.encrypted_content as string), {
      origin: { provider: 'gemini' },
      call: { id: 'call_g', signature: 'CiQsig' },
    });
  });

  it('the StreamEncoder frames each event as SSE with an event: line and the same type inside', () => {
    const enc = new ResponsesStreamEncoder({ newId: counterIds(), nowSec: () => NOW_SEC });
    const frames = enc.push(start);
    assert.equal(frames.length, 2);
    assert.equal(frames[0]!.event, 'response.created');
    const data = JSON.parse(frames[0]!.data) as { type: string; sequence_number: number };
    assert.equal(data.type, 'response.created');
    assert.equal(data.sequence_number, 0);
    const rest = enc.end();
    assert.equal(rest[rest.length - 1]!.event, 'response.failed');
  });
});
