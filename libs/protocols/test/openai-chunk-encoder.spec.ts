import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { OpenAiChatStreamEncoder } from '../src/openai-chat/chat-stream.codec';
import type { IrStreamEvent } from '../src/ir/stream';
import { jsonHostileText } from './protocol-test-helpers';

/** A chunk as JSON.stringify writes the object (the encoder builds the text around the delta instead). */
const reference = (
  head: { id: string; created: number; model: string },
  delta: unknown,
  finish: string | null,
  includeUsage: boolean,
): string =>
  JSON.stringify({
    id: head.id,
    object: 'chat.completion.chunk',
    created: head.created,
    model: head.model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });

describe('OpenAI chat stream encoder: chunks written as text', () => {
  it('writes every chunk byte for byte as JSON.stringify of the chunk object (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          id: jsonHostileText,
          model: jsonHostileText,
          created: fc.integer({ min: 0, max: 2 ** 40 }),
        }),
        fc.array(jsonHostileText, { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        fc.constantFrom('end_turn', 'max_tokens', 'tool_use') as fc.Arbitrary<'end_turn'>,
        (head, deltas, includeUsage, stop) => {
          const encoder = new OpenAiChatStreamEncoder({ includeUsage });
          const events: IrStreamEvent[] = [
            { type: 'message_start', id: head.id, model: head.model, createdAtSec: head.created },
            { type: 'block_start', index: 0, block: { type: 'text' } },
            ...deltas.map((t): IrStreamEvent => ({
              type: 'block_delta',
              index: 0,
              delta: { type: 'text', text: t },
            })),
            { type: 'block_stop', index: 0 },
            { type: 'message_delta', stopReason: { kind: stop } },
            { type: 'message_stop' },
          ];
          const frames = events.flatMap((e) => encoder.push(e)).map((f) => f.data);
          const finish = { end_turn: 'stop', max_tokens: 'length', tool_use: 'tool_calls' }[stop];
          const expected = [
            reference(head, { role: 'assistant', content: '', refusal: null }, null, includeUsage),
            ...deltas.filter((t) => t !== '').map((t) => reference(head, { content: t }, null, includeUsage)),
            reference(head, {}, finish, includeUsage),
            '[DONE]',
          ];
          assert.deepStrictEqual(frames, expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('takes the id, model and created of a message_start that comes after the first chunk', () => {
    const encoder = new OpenAiChatStreamEncoder({});
    const early = encoder.push({ type: 'block_delta', index: 0, delta: { type: 'text', text: 'a' } });
    const late = encoder.push({ type: 'message_start', id: 'chatcmpl-late', model: 'm2', createdAtSec: 7 });
    const after = encoder.push({ type: 'block_delta', index: 0, delta: { type: 'text', text: 'b' } });
    assert.equal(early.length, 2, 'role chunk and the first delta');
    assert.deepEqual(late, []);
    assert.equal(
      after[0]!.data,
      reference({ id: 'chatcmpl-late', created: 7, model: 'm2' }, { content: 'b' }, null, false),
    );
  });
});
