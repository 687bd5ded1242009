import type { ProtocolCodec } from '../ir/codec';
import { decodeAnthropicRequest, encodeAnthropicRequest } from './anthropic-request.codec';
import { decodeAnthropicResponse, encodeAnthropicResponse } from './anthropic-response.codec';
import { AnthropicStreamDecoder, AnthropicStreamEncoder } from './anthropic-stream.codec';

export const anthropicCodec: ProtocolCodec = {
  protocol: 'anthropic',
  decodeRequest: decodeAnthropicRequest,
  encodeRequest: encodeAnthropicRequest,
  decodeResponse: decodeAnthropicResponse,
  encodeResponse: encodeAnthropicResponse,
  createStreamDecoder: (opts) => new AnthropicStreamDecoder(opts),
  createStreamEncoder: (opts) => new AnthropicStreamEncoder(opts),
};

export * from './anthropic-request.codec';
export * from './anthropic-response.codec';
export * from './anthropic-stream.codec';
