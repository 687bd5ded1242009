import type { JsonObject } from '../ir/common';
import type { ProtocolCodec } from '../ir/codec';
import { decodeResponsesRequest } from './responses-request.decoder';
import { encodeResponsesRequest } from './responses-request.encoder';
import { decodeResponsesResponse, encodeResponsesResponse } from './responses-response.codec';
import { ResponsesStreamDecoder } from './responses-stream.decoder';
import { ResponsesStreamEncoder, type ResponsesEncodeOptions } from './responses-stream.encoder';

/**
 * The Responses codec under the common contract. The contract's options are a subset of what the encoders take:
 * pass `ResponsesEncodeOptions` (the decoded `request`, the raw `requestBody`, `toolNames`) to get namespaced
 * and custom tool calls mapped back and the request settings echoed.
 */
export const responsesCodec: ProtocolCodec = {
  protocol: 'openai-responses',
  decodeRequest: (body, ctx) => decodeResponsesRequest(body, ctx).ir,
  encodeRequest: (ir, opts) => encodeResponsesRequest(ir, opts),
  decodeResponse: (body, opts) => decodeResponsesResponse(body, opts),
  encodeResponse: (ir, opts?: ResponsesEncodeOptions) =>
    encodeResponsesResponse(ir, opts) as unknown as JsonObject,
  createStreamDecoder: (opts) => new ResponsesStreamDecoder(opts),
  createStreamEncoder: (opts?: ResponsesEncodeOptions) => new ResponsesStreamEncoder(opts),
};
