import type { ProtocolCodec } from '../ir/codec';
import { decodeGeminiRequest, encodeGeminiRequest } from './gemini-request.codec';
import { decodeGeminiResponse, encodeGeminiResponse } from './gemini-response.codec';
import { GeminiStreamDecoder, GeminiStreamEncoder } from './gemini-stream.codec';

export const geminiCodec: ProtocolCodec = {
  protocol: 'gemini',
  decodeRequest: decodeGeminiRequest,
  encodeRequest: encodeGeminiRequest,
  decodeResponse: decodeGeminiResponse,
  encodeResponse: encodeGeminiResponse,
  createStreamDecoder: (opts) => new GeminiStreamDecoder(opts),
  createStreamEncoder: (opts) => new GeminiStreamEncoder(opts),
};

export * from './gemini-request.codec';
export * from './gemini-response.codec';
export * from './gemini-stream.codec';
