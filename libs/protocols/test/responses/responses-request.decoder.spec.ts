import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError } from '../../src/errors/error-shapes';
import type { IrFunctionTool, IrTool } from '../../src/ir/request';
import { decodeResponsesRequest, responsesCodec, sealReasoning } from '../../src/responses';

const fixture = (name: string): Record<string, unknown> =>
  (JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as { body: Record<string, unknown> })
    .body;

const toolSummary = (tools: IrTool[]): string[] =>
  tools.map((t) =>
    t.type === 'builtin' ? `builtin:${t.name}` : `${t.type}:${t.name}${t.namespace ? `@${t.namespace}` : ''}`,
  );

const ANTHROPIC_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

describe('Responses request → IR (recorded Codex requests)', () => {
  it('codex exec, turn 1: developer prompts to system, the tool round trip with upstream ids, tools and settings', () => {
    const { ir, store } = decodeResponsesRequest(fixture('codex-exec-turn1.json'));
    assert.equal(ir.model, 'gpt-5.5');
    assert.equal(ir.stream, true);
    assert.deepEqual(
      ir.system.map((s) => s.role),
      ['developer', 'developer'],
    );
    assert.match(ir.system[0]!.text, /^You are Codex/);
    assert.deepEqual(
      ir.messages.map((m) => m.role),
      ['user', 'user', 'assistant', 'tool'],
    );
    assert.equal(ir.messages[1]!.id, 'msg_01a21bb7-e6aa-76f1-8f41-1d79d084bb1a');
    assert.deepEqual(ir.messages[1]!.content, [
      { type: 'text', text: 'create a file hello.txt containing hi [acc:codex-exec]' },
    ]);
    assert.deepEqual(ir.messages[2]!.content, [
      { type: 'text', text: 'Creating the file.' },
      {
        type: 'tool_call',
        id: 'call_66c35ca478f8b580e18f9740',
        name: 'exec_command',
        arguments: '{"cmd":"printf hi > hello.txt && cat hello.txt","yield_time_ms":2000}',
        itemId: 'fc_mockb4b8225dc58c630d8c258b60',
      },
    ]);
    assert.deepEqual(ir.messages[3]!.content, [
      {
        type: 'tool_result',
        callId: 'call_66c35ca478f8b580e18f9740',
        name: 'exec_command',
        content:
          'Chunk ID: c378fb\nWall time: 0.0000 seconds\nProcess exited with code 0\nOriginal token count: 1\nOutput:\nhi',
        itemId: 'fco_01a21bb7-e725-7da2-8077-a9f0506b5216',
      },
    ]);
    assert.deepEqual(toolSummary(ir.tools), [
      'function:exec_command',
      'function:write_stdin',
      'function:request_user_input',
      'custom:apply_patch',
      'function:view_image',
      'function:get_goal',
      'function:create_goal',
      'function:update_goal',
      'builtin:tool_search',
      'builtin:web_search',
    ]);
    const applyPatch = ir.tools[3]!;
    assert.equal(applyPatch.type, 'custom');
    assert.ok(
      applyPatch.type === 'custom' &&
        applyPatch.format?.type === 'grammar' &&
        applyPatch.format.syntax === 'lark',
    );
    assert.equal((ir.tools[0] as IrFunctionTool).strict, false);
    assert.deepEqual(ir.toolChoice, { type: 'auto' });
    assert.equal(ir.parallelToolCalls, true);
    assert.deepEqual(ir.reasoning, { mode: 'adaptive', effort: 'medium' });
    assert.equal(ir.verbosity, 'low');
    assert.equal(ir.promptCacheKey, '01a21bb7-e64d-70a3-80fe-b3531121746e');
    assert.equal(store, false);
    const native = ir.extras.native['openai-responses']!;
    assert.deepEqual(native.include, ['reasoning.encrypted_content']);
    assert.equal(native.store, false);
    assert.ok(native.client_metadata, 'client_metadata kept for a Responses upstream');
    assert.deepEqual(ir.extras.dropped, []);
  });

  it('codex apply_patch, turn 1: custom_tool_call and its output stay custom', () => {
    const { ir } = decodeResponsesRequest(fixture('codex-apply-patch-turn1.json'));
    const [assistant, tool] = ir.messages.slice(-2);
    assert.deepEqual(assistant, {
      role: 'assistant',
      content: [
        {
          type: 'custom_tool_call',
          id: 'call_48ddbf6aadc91d05ef63614b',
          name: 'apply_patch',
          input: '*** Begin Patch\n*** Add File: patched.txt\n+patched by codex\n*** End Patch\n',
          itemId: 'ctc_mock46094bb5bdff265472b189d4',
        },
      ],
    });
    assert.deepEqual(tool, {
      role: 'tool',
      content: [
        {
          type: 'tool_result',
          callId: 'call_48ddbf6aadc91d05ef63614b',
          name: 'apply_patch',
          content:
            'Exit code: 0\nWall time: 0.1 seconds\nOutput:\nSuccess. Updated the following files:\nA patched.txt\n',
          custom: true,
          itemId: 'ctco_01a21bb7-e93d-7480-8e65-3d3abe7d33ea',
        },
      ],
    });
  });

  it('codex code mode: additional_tools namespaces flattened to valid names, reversibly', () => {
    const { ir, toolNames } = decodeResponsesRequest(fixture('codex-code-mode-turn0.json'));
    assert.deepEqual(toolSummary(ir.tools), [
      'custom:functions__exec@functions',
      'function:functions__wait@functions',
      'function:functions__request_user_input@functions',
      'function:functions__request_user_input_async@functions',
      'function:functions__send_message_to_user_async@functions',
      'function:clock__sleep@clock',
      'function:collaboration__followup_task@collaboration',
      'function:collaboration__interrupt_agent@collaboration',
      'function:collaboration__list_agents@collaboration',
      'function:collaboration__send_message@collaboration',
      'function:collaboration__spawn_agent@collaboration',
      'function:collaboration__wait_agent@collaboration',
    ]);
    for (const t of ir.tools) if (t.type !== 'builtin') assert.match(t.name, ANTHROPIC_NAME);
    assert.deepEqual(toolNames.resolve('collaboration__spawn_agent'), {
      name: 'spawn_agent',
      namespace: 'collaboration',
    });
    assert.deepEqual(toolNames.resolve('functions__exec'), { name: 'exec', namespace: 'functions' });
    // The additional_tools item comes first, yet the developer prompts after it are still leading instructions.
    assert.equal(ir.system.length, 4);
    assert.deepEqual(
      ir.messages.map((m) => m.role),
      ['user', 'user'],
    );
    assert.equal(ir.parallelToolCalls, false);
    assert.deepEqual(ir.reasoning, { mode: 'adaptive', effort: 'low' });
    assert.deepEqual(ir.extras.native['openai-responses']!.reasoning, { context: 'all_turns' });
  });

  it('the codec contract returns the same IR', () => {
    const body = fixture('codex-exec-turn1.json');
    assert.deepEqual(responsesCodec.decodeRequest(body), decodeResponsesRequest(body).ir);
  });
});

describe('Responses request → IR (items and rules)', () => {
  const call = (
    id: string,
    name: string,
    args = '{}',
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    type: 'function_call',
    call_id: id,
    name,
    arguments: args,
    ...extra,
  });
  const output = (id: string, out: unknown): Record<string, unknown> => ({
    type: 'function_call_output',
    call_id: id,
    output: out,
  });

  it('instructions lead; a developer message mid-conversation stays in place', () => {
    const { ir } = decodeResponsesRequest({
      model: 'm',
      instructions: 'Be brief.',
      input: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hi' },
        { role: 'developer', content: [{ type: 'input_text', text: 'now in French' }] },
        { role: 'assistant', content: 'bonjour' },
      ],
    });
    assert.deepEqual(ir.system, [
      { role: 'system', text: 'Be brief.' },
      { role: 'system', text: 'sys' },
    ]);
    assert.deepEqual(ir.messages, [
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'developer', content: [{ type: 'text', text: 'now in French' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'bonjour' }] },
    ]);
  });

  it('a string input is one user message', () => {
    const { ir } = decodeResponsesRequest({ model: 'm', input: 'hello' });
    assert.deepEqual(ir.messages, [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }]);
  });

  it('parallel calls: one assistant turn with both calls, one tool turn with both results (in order)', () => {
    const { ir } = decodeResponsesRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'go' },
        call('call_1', 'a'),
        call('call_2', 'b'),
        output('call_1', 'one'),
        output('call_2', [
          { type: 'input_text', text: 'two' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBO' },
        ]),
      ],
    });
    assert.equal(ir.messages.length, 3);
    assert.deepEqual(
      ir.messages[1]!.content.map((p) => (p.type === 'tool_call' ? p.id : p.type)),
      ['call_1', 'call_2'],
    );
    assert.deepEqual(ir.messages[2]!.content, [
      { type: 'tool_result', callId: 'call_1', name: 'a', content: 'one' },
      {
        type: 'tool_result',
        callId: 'call_2',
        name: 'b',
        content: [
          { type: 'text', text: 'two' },
          { type: 'image', source: { kind: 'base64', mediaType: 'image/png', data: 'iVBO' } },
        ],
      },
    ]);
  });

  it('a legacy {content, success:false} tool output keeps its text and becomes an error result', () => {
    const { ir } = decodeResponsesRequest({
      model: 'm',
      input: [call('call_1', 'a'), output('call_1', { content: 'exit 1', success: false })],
    });
    assert.deepEqual(ir.messages[1]!.content, [
      { type: 'tool_result', callId: 'call_1', name: 'a', content: 'exit 1', isError: true },
    ]);
  });

  it('reasoning: sealed foreign signatures keep their origin, OpenAI encrypted content is OpenAI, id-only is dropped', () => {
    const sealed = sealReasoning({
      origin: { provider: 'anthropic', model: 'claude-x' },
      signature: 'EqSig',
    });
    const redacted = sealReasoning({ origin: { provider: 'anthropic' }, redacted: 'opaque' });
    const geminiCall = sealReasoning({
      origin: { provider: 'gemini' },
      call: { id: 'call_g', signature: 'CiQ' },
    });
    const { ir } = decodeResponsesRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'q' },
        {
          type: 'reasoning',
          id: 'rs_1',
          summary: [{ type: 'summary_text', text: 'thought' }],
          encrypted_content: sealed,
        },
        { type: 'reasoning', id: 'rs_2', summary: [], encrypted_content: redacted },
        { type: 'reasoning', id: 'rs_3', summary: [], encrypted_content: 'gAAAAopenai' },
        { type: 'reasoning', id: 'rs_4', summary: [] },
        { type: 'reasoning', id: 'rs_5', summary: [], encrypted_content: geminiCall },
        call('call_g', 'f'),
        output('call_g', 'ok'),
      ],
    });
    assert.deepEqual(ir.messages[1]!.content, [
      {
        type: 'thinking',
        text: 'thought',
        signature: 'EqSig',
        origin: { provider: 'anthropic', model: 'claude-x' },
        itemId: 'rs_1',
      },
      { type: 'redacted_thinking', data: 'opaque', origin: { provider: 'anthropic' } },
      {
        type: 'thinking',
        text: '',
        signature: 'gAAAAopenai',
        origin: { provider: 'openai' },
        itemId: 'rs_3',
      },
      {
        type: 'tool_call',
        id: 'call_g',
        name: 'f',
        arguments: '{}',
        signature: 'CiQ',
        origin: { provider: 'gemini' },
      },
    ]);
    assert.deepEqual(ir.extras.dropped, ['input[4] (reasoning without content)']);
  });

  it('namespaced calls in history use the same flat names as the tools; hosted items are reported, not fatal', () => {
    const { ir, toolNames } = decodeResponsesRequest({
      model: 'claude-sonnet-5',
      tools: [
        {
          type: 'namespace',
          name: 'multi_agent_v1',
          description: 'agents',
          tools: [{ type: 'function', name: 'spawn_agent', parameters: { type: 'object' } }],
        },
        { type: 'web_search', external_web_access: false },
      ],
      tool_choice: { type: 'function', name: 'exec_command' },
      input: [
        { role: 'user', content: 'go' },
        call('call_n', 'spawn_agent', '{}', { namespace: 'multi_agent_v1' }),
        output('call_n', 'spawned'),
        { type: 'web_search_call', id: 'ws_1', status: 'completed' },
        { type: 'item_reference', id: 'msg_old' },
      ],
    });
    assert.equal(ir.tools[0]!.type === 'function' && ir.tools[0]!.name, 'multi_agent_v1__spawn_agent');
    const callPart = ir.messages[1]!.content[0]!;
    assert.equal(callPart.type === 'tool_call' && callPart.name, 'multi_agent_v1__spawn_agent');
    assert.deepEqual(toolNames.resolve('multi_agent_v1__spawn_agent'), {
      name: 'spawn_agent',
      namespace: 'multi_agent_v1',
    });
    assert.deepEqual(ir.toolChoice, { type: 'tool', name: 'exec_command' });
    assert.deepEqual(ir.extras.dropped, ['input[3].type=web_search_call', 'input[4].type=item_reference']);
  });

  it('text.format json_schema, sampling, metadata and the output limit', () => {
    const { ir } = decodeResponsesRequest({
      model: 'm',
      input: 'x',
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      temperature: 0.2,
      top_p: 0.9,
      max_output_tokens: 256,
      metadata: { team: 'a' },
      safety_identifier: 'u-1',
    });
    assert.deepEqual(ir.responseFormat, {
      type: 'json_schema',
      schema: { type: 'object' },
      name: 'answer',
      strict: true,
    });
    assert.deepEqual(ir.sampling, { temperature: 0.2, topP: 0.9 });
    assert.equal(ir.maxOutputTokens, 256);
    assert.deepEqual(ir.metadata, { team: 'a' });
    assert.equal(ir.user, 'u-1');
  });

  it('rejects what cannot be understood with OpenAI-shaped 400s naming the parameter', () => {
    const cases: [unknown, string, string][] = [
      [[], 'body', 'invalid_type'],
      [{ input: 'x' }, 'model', 'missing_required_parameter'],
      [
        { model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] },
        'input[0].call_id',
        'missing_required_parameter',
      ],
      [{ model: 'm', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role', 'invalid_value'],
      [
        { model: 'm', input: [{ type: 'function_call_output', call_id: 'c', output: 5 }] },
        'input[0].output',
        'invalid_type',
      ],
      [{ model: 'm', input: 'x', max_output_tokens: '10' }, 'max_output_tokens', 'invalid_type'],
    ];
    for (const [body, param, code] of cases) {
      assert.throws(
        () => decodeResponsesRequest(body),
        (e: unknown) =>
          e instanceof ProtocolError &&
          e.error.status === 400 &&
          e.error.param === param &&
          e.error.code === code,
        `${param}: ${code}`,
      );
    }
  });
});
