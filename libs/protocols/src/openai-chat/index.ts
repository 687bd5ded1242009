import type { ProtocolCodec } from '../ir/codec';
import { decodeOpenAiChatRequest, encodeOpenAiChatRequest } from './chat-request.codec';
import { decodeOpenAiChatResponse, encodeOpenAiChatResponse } from './chat-response.codec';
import { OpenAiChatStreamDecoder, OpenAiChatStreamEncoder } from './chat-stream.codec';

export const openAiChatCodec: ProtocolCodec = {
  protocol: 'openai-chat',
  decodeRequest: decodeOpenAiChatRequest,
  encodeRequest: encodeOpenAiChatRequest,
  decodeResponse: decodeOpenAiChatResponse,
  encodeResponse: encodeOpenAiChatResponse,
  createStreamDecoder: (opts) => new OpenAiChatStreamDecoder(opts),
  createStreamEncoder: (opts) => new OpenAiChatStreamEncoder(opts),
};

export * from './chat-request.codec';
export * from './chat-response.codec';
export * from './chat-stream.codec';
export * from './chat-call-id-seal';
export * from './usage-chunk-filter';
