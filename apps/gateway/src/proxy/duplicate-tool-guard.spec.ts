import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getCodec } from '@sluice/protocols';
import { loadGatewayConfig } from '@sluice/config';
import { duplicateToolCalls } from './duplicate-tool-guard';

const T = { warn: 3, insist: 4, reject: 5 };

function chatWith(
  calls: Array<{ name: string; args: string }>,
): ReturnType<ReturnType<typeof getCodec>['decodeRequest']> {
  const messages: unknown[] = [{ role: 'user', content: 'go' }];
  calls.forEach((c, i) => {
    messages.push({
      role: 'assistant',
      content: null,
      tool_calls: [{ id: `c${i}`, type: 'function', function: { name: c.name, arguments: c.args } }],
    });
    messages.push({ role: 'tool', tool_call_id: `c${i}`, content: 'same output' });
  });
  return getCodec('openai-chat').decodeRequest({ model: 'm', messages });
}

describe('duplicate tool-call guard', () => {
  it('escalates at 3, 4 and 5 identical calls in a row', () => {
    const call = { name: 'read_file', args: '{"path":"a.txt"}' };
    assert.equal(duplicateToolCalls(chatWith([call, call]), T).action, 'none');
    assert.equal(duplicateToolCalls(chatWith([call, call, call]), T).action, 'warn');
    assert.equal(duplicateToolCalls(chatWith([call, call, call, call]), T).action, 'insist');
    const v = duplicateToolCalls(chatWith([call, call, call, call, call, call]), T);
    assert.equal(v.action, 'reject');
    assert.equal(v.repeats, 6);
    assert.equal(v.tool, 'read_file');
  });

  it('treats reordered keys and whitespace as the same call, other arguments or tools as different', () => {
    const a = { name: 'read_file', args: '{"path":"a.txt","lines":10}' };
    const a2 = { name: 'read_file', args: '{ "lines": 10, "path": "a.txt" }' };
    const b = { name: 'read_file', args: '{"path":"b.txt","lines":10}' };
    assert.equal(duplicateToolCalls(chatWith([a, a2, a]), T).action, 'warn');
    assert.equal(
      duplicateToolCalls(chatWith([a, a, b, a, a]), T).repeats,
      2,
      'a different call ends the run',
    );
    assert.equal(
      duplicateToolCalls(chatWith([a, a, { name: 'ls', args: '{"path":"a.txt","lines":10}' }]), T).repeats,
      1,
    );
  });

  it('is off when configured off, and parses its setting', () => {
    const call = { name: 'x', args: '{}' };
    assert.equal(duplicateToolCalls(chatWith([call, call, call, call, call]), null).action, 'none');
    const guard = (v: Record<string, string>) => loadGatewayConfig(v, 'standalone').duplicateToolGuard;
    assert.equal(guard({}), null, 'off by default');
    assert.deepEqual(guard({ SLUICE_DUPLICATE_TOOL_GUARD: '3/4/5' }), T);
    assert.deepEqual(guard({ TOKLIGENCE_DUPLICATE_TOOL_DETECTION: 'true' }), T);
    assert.equal(guard({ SLUICE_DUPLICATE_TOOL_GUARD: 'off' }), null);
    assert.throws(() => guard({ SLUICE_DUPLICATE_TOOL_GUARD: '5/4/3' }), /SLUICE_DUPLICATE_TOOL_GUARD/);
    assert.throws(() => guard({ SLUICE_DUPLICATE_TOOL_GUARD: 'three' }), /SLUICE_DUPLICATE_TOOL_GUARD/);
  });
});
