import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  anthropicErrorBody,
  errorBody,
  geminiErrorBody,
  makeError,
  openAiErrorBody,
  translateError,
} from '../src';

describe('error shapes', () => {
  it('builds each protocol shape from status, message and code', () => {
    const e = makeError(404, 'The model `x` does not exist', 'model_not_found');
    assert.deepEqual(openAiErrorBody(e), {
      error: {
        message: 'The model `x` does not exist',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    });
    assert.deepEqual(anthropicErrorBody(e), {
      type: 'error',
      error: { type: 'not_found_error', message: 'The model `x` does not exist' },
    });
    assert.deepEqual(geminiErrorBody(e), {
      error: { code: 404, message: 'The model `x` does not exist', status: 'NOT_FOUND' },
    });
    assert.deepEqual(errorBody('openai-responses', makeError(400, 'bad')), {
      error: { message: 'bad', type: 'invalid_request_error', param: null, code: null },
    });
  });

  it('maps an Anthropic overload to OpenAI and Gemini keeping the status', () => {
    const body = {
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
      request_id: 'req_1',
    };
    const toOpenAi = translateError('anthropic', 'openai-chat', 529, body);
    assert.equal(toOpenAi.status, 529);
    assert.deepEqual(toOpenAi.body, {
      error: {
        message: 'Overloaded',
        type: 'service_unavailable_error',
        param: null,
        code: 'server_is_overloaded',
      },
    });
    const toGemini = translateError('anthropic', 'gemini', 529, body);
    assert.deepEqual(toGemini.body, { error: { code: 529, message: 'Overloaded', status: 'UNAVAILABLE' } });
  });

  it('maps OpenAI errors by code before status (compatible servers send model_not_found as 400)', () => {
    const r = translateError('openai-chat', 'anthropic', 400, {
      error: {
        message: 'no such model',
        type: 'invalid_request_error',
        code: 'model_not_found',
        param: 'model',
      },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { type: 'error', error: { type: 'not_found_error', message: 'no such model' } });
    const q = translateError('openai-chat', 'anthropic', 429, {
      error: { message: 'quota', type: 'insufficient_quota', code: 'insufficient_quota' },
    });
    assert.deepEqual(q.body, { type: 'error', error: { type: 'billing_error', message: 'quota' } });
  });

  it('reads Gemini errors, an invalid key (400 API_KEY_INVALID) and RetryInfo', () => {
    const key = translateError('gemini', 'anthropic', 400, {
      error: {
        code: 400,
        message: 'API key not valid',
        status: 'INVALID_ARGUMENT',
        details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }],
      },
    });
    assert.equal(key.status, 400);
    assert.deepEqual(key.body, {
      type: 'error',
      error: { type: 'authentication_error', message: 'API key not valid' },
    });
    const rl = translateError('gemini', 'openai-chat', 429, {
      error: {
        code: 429,
        message: 'quota',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }],
      },
    });
    assert.equal(rl.error.retryAfterSec, 37);
    assert.equal((rl.body.error as Record<string, unknown>).code, 'rate_limit_exceeded');
  });

  it('survives non-JSON upstream bodies', () => {
    const r = translateError('openai-chat', 'gemini', 502, '<html>Bad gateway</html>');
    assert.deepEqual(r.body, {
      error: { code: 502, message: '<html>Bad gateway</html>', status: 'INTERNAL' },
    });
  });
});
