import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ToolNamespaceMap, decodeResponsesRequest, type ResponsesToolRef } from '../../src/responses';

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

describe('ToolNamespaceMap', () => {
  it('leaves valid plain names alone and joins namespaces with a double underscore', () => {
    const m = new ToolNamespaceMap();
    assert.equal(m.flatten({ name: 'exec_command' }), 'exec_command');
    assert.equal(
      m.flatten({ name: 'spawn_agent', namespace: 'multi_agent_v1' }),
      'multi_agent_v1__spawn_agent',
    );
    assert.deepEqual(m.resolve('multi_agent_v1__spawn_agent'), {
      name: 'spawn_agent',
      namespace: 'multi_agent_v1',
    });
    assert.deepEqual(m.resolve('exec_command'), { name: 'exec_command' });
    assert.deepEqual(m.resolve('never_seen'), { name: 'never_seen' });
  });

  it('sanitizes, shortens and de-duplicates, and still maps back exactly', () => {
    const m = new ToolNamespaceMap();
    const refs: ResponsesToolRef[] = [
      { name: 'create.issue', namespace: 'mcp/github' },
      { name: 'create_issue', namespace: 'mcp_github' },
      { name: 'x'.repeat(100), namespace: 'long' },
      { name: 'y'.repeat(100), namespace: 'long' },
      { name: 'créer' },
    ];
    const flats = refs.map((r) => m.flatten(r));
    for (const f of flats) assert.match(f, VALID);
    assert.equal(new Set(flats).size, flats.length, 'all distinct');
    refs.forEach((r, i) => assert.deepEqual(m.resolve(flats[i]!), r));
    assert.equal(m.flatten(refs[0]!), flats[0], 'stable for a known tool');
  });

  it('round-trips any names (property test) and is deterministic across requests', () => {
    const ref = fc.record({
      name: fc.string({ minLength: 1, maxLength: 90 }),
      namespace: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(ref, { maxLength: 12 }), (refs) => {
        const a = new ToolNamespaceMap();
        const b = new ToolNamespaceMap();
        const flatsA = refs.map((r) => a.flatten(r));
        const flatsB = refs.map((r) => b.flatten(r));
        assert.deepEqual(flatsA, flatsB);
        refs.forEach((r, i) => {
          assert.match(flatsA[i]!, VALID);
          const back = a.resolve(flatsA[i]!);
          assert.equal(back.name, r.name);
          assert.equal(back.namespace, r.namespace);
        });
      }),
    );
  });

  it('is recovered from the decoded IR alone (no gateway state) for the names Codex sends', () => {
    const { ir, toolNames } = decodeResponsesRequest({
      model: 'claude-sonnet-5',
      input: 'x',
      tools: [
        { type: 'function', name: 'exec_command', parameters: { type: 'object' } },
        {
          type: 'namespace',
          name: 'collaboration',
          tools: [
            { type: 'function', name: 'spawn_agent', parameters: { type: 'object' } },
            { type: 'custom', name: 'exec' },
          ],
        },
      ],
    });
    const rebuilt = ToolNamespaceMap.fromIrTools(ir.tools);
    assert.deepEqual(rebuilt.entries(), toolNames.entries());
  });
});
