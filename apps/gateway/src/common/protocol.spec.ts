import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorBody, protocolOf } from './protocol';

describe('protocol of a route', () => {
  it('is decided by the path, with Gemini recognised by its :method suffix', () => {
    assert.equal(protocolOf('/v1/chat/completions'), 'openai');
    assert.equal(protocolOf('/v1/models'), 'openai');
    assert.equal(protocolOf('/v1/messages?beta=true'), 'anthropic');
    assert.equal(protocolOf('/v1/messages/count_tokens'), 'anthropic');
    assert.equal(protocolOf('/anthropic/v1/messages'), 'anthropic');
    assert.equal(protocolOf('/v1beta/models/gemini-2.5-pro:generateContent'), 'gemini');
    assert.equal(protocolOf('/v1/models/gemini-2.5-pro:streamGenerateContent?alt=sse'), 'gemini');
    assert.equal(protocolOf('/v1beta/openai/chat/completions'), 'openai');
    assert.equal(protocolOf('/api/v1/admin/teams'), 'admin');
  });

  it('errors take the shape each official SDK parses', () => {
    assert.deepEqual(errorBody('openai', 401, 'invalid_api_key', 'bad key'), {
      error: { message: 'bad key', type: 'authentication_error', code: 'invalid_api_key', param: null },
    });
    assert.deepEqual(errorBody('anthropic', 401, 'invalid_api_key', 'bad key'), {
      type: 'error',
      error: { type: 'authentication_error', message: 'bad key' },
    });
    assert.deepEqual(errorBody('gemini', 401, 'invalid_api_key', 'bad key'), {
      error: { code: 401, message: 'bad key', status: 'UNAUTHENTICATED' },
    });
    assert.deepEqual(errorBody('anthropic', 413, 'request_too_large', 'big'), {
      type: 'error',
      error: { type: 'request_too_large', message: 'big' },
    });
    assert.deepEqual(errorBody('gemini', 404, 'model_not_found', 'no'), {
      error: { code: 404, message: 'no', status: 'NOT_FOUND' },
    });
  });
});
