import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveModelProfile } from '../src/common/model-profiles';

describe('resolveModelProfile', () => {
  it('takes the first default rule that matches, over the permissive fallback', () => {
    assert.deepEqual(resolveModelProfile('claude-3-5-sonnet-latest'), {
      sampling: true,
      maxOutputTokens: 8192,
      reasoning: false,
      anthropicThinking: 'budget',
    });
    assert.equal(resolveModelProfile('gemini-2.5-pro-exp').thinkingAlwaysOn, true);
    assert.equal(resolveModelProfile('gemini-2.5-flash').thinkingAlwaysOn, undefined);
    assert.equal(resolveModelProfile('o3-mini').sampling, false);
    assert.deepEqual(resolveModelProfile('some-local-model'), { sampling: true });
  });

  it('answers the same frozen object for a name, so a caller cannot change the next answer', () => {
    const a = resolveModelProfile('claude-sonnet-4-5');
    assert.equal(resolveModelProfile('claude-sonnet-4-5'), a);
    assert.ok(Object.isFrozen(a));
    assert.throws(() => {
      (a as { maxOutputTokens?: number }).maxOutputTokens = 1;
    }, TypeError);
    assert.equal(resolveModelProfile('claude-sonnet-4-5').maxOutputTokens, 64000);
  });

  it("lets the caller's rules come first, and falls back to the defaults when none matches", () => {
    const rules = [{ pattern: 'claude-sonnet-*', profile: { maxOutputTokens: 1000 } }];
    assert.deepEqual(resolveModelProfile('claude-sonnet-4-5', rules), {
      sampling: true,
      maxOutputTokens: 1000,
    });
    assert.equal(resolveModelProfile('claude-haiku-4-5', rules).maxOutputTokens, 64000);
    assert.equal(
      resolveModelProfile('claude-sonnet-4-5').maxOutputTokens,
      64000,
      'the default is not changed',
    );
  });
});
