import type {
  DecodeRequestContext,
  DecodeResponseOptions,
  EncodeRequestOptions,
  EncodeResponseOptions,
  EncodedRequest,
  ProtocolCodec,
} from './ir/codec';
import type { JsonObject, ProtocolId } from './ir/common';
import type { IrRequest } from './ir/request';
import type { IrResponse } from './ir/response';
import type { IrStreamEvent } from './ir/stream';
import type { ToolNameMap } from './common/tool-names';
import { anthropicCodec } from './anthropic';
import { geminiCodec } from './gemini';
import { openAiChatCodec } from './openai-chat';
import { responsesCodec } from './responses';
import { StreamTranslator } from './stream/stream-translator';
import { StreamUsageTap } from './stream/usage-tap';

const registry = new Map<ProtocolId, ProtocolCodec>([
  ['openai-chat', openAiChatCodec],
  ['anthropic', anthropicCodec],
  ['gemini', geminiCodec],
  ['openai-responses', responsesCodec],
]);

/** Adds (or replaces) the codec of a protocol, e.g. the Responses codec. */
export const registerCodec = (codec: ProtocolCodec): void => {
  registry.set(codec.protocol, codec);
};

export const getCodec = (protocol: ProtocolId): ProtocolCodec => {
  const codec = registry.get(protocol);
  if (!codec) throw new Error(`no codec registered for protocol ${protocol}`);
  return codec;
};

export interface TranslatedRequest extends EncodedRequest {
  ir: IrRequest;
}

/** Client request body of `from` → upstream request body of `to`, through the IR. */
export const translateRequest = (
  body: unknown,
  from: ProtocolId,
  to: ProtocolId,
  opts: { decode?: DecodeRequestContext; encode?: EncodeRequestOptions } = {},
): TranslatedRequest => {
  const ir = getCodec(from).decodeRequest(body, opts.decode);
  return { ir, ...getCodec(to).encodeRequest(ir, opts.encode) };
};

/** Upstream (non-streamed) response body of `from` → client response body of `to`. */
export const translateResponse = (
  body: unknown,
  from: ProtocolId,
  to: ProtocolId,
  opts: { decode?: DecodeResponseOptions; encode?: EncodeResponseOptions } = {},
): { body: JsonObject; ir: IrResponse } => {
  const ir = getCodec(from).decodeResponse(body, opts.decode);
  return { ir, body: getCodec(to).encodeResponse(ir, opts.encode) };
};

export interface StreamTranslatorOptions {
  /** Upstream protocol. */
  from: ProtocolId;
  /** Client protocol. */
  to: ProtocolId;
  /** From `EncodedRequest.tools`: restores client tool names and custom-tool calls. */
  tools?: ToolNameMap;
  /** Model name to report to the client (the one it asked for). */
  model?: string;
  /** OpenAI clients: `stream_options.include_usage`. */
  includeUsage?: boolean;
  onIrEvent?: (ev: IrStreamEvent) => void;
}

/** A stateful translator for one stream (see StreamTranslator). */
export const createStreamTranslator = (o: StreamTranslatorOptions): StreamTranslator => {
  const decoder = getCodec(o.from).createStreamDecoder({
    ...(o.tools ? { tools: o.tools } : {}),
    ...(o.model ? { model: o.model } : {}),
  });
  const encoder = getCodec(o.to).createStreamEncoder({
    ...(o.model ? { model: o.model } : {}),
    ...(o.includeUsage !== undefined ? { includeUsage: o.includeUsage } : {}),
  });
  return new StreamTranslator(decoder, encoder, o.onIrEvent);
};

/** A usage reader for a passthrough stream of `protocol` (see StreamUsageTap). */
export const createUsageTap = (
  protocol: ProtocolId,
  onIrEvent?: (ev: IrStreamEvent) => void,
): StreamUsageTap => new StreamUsageTap(getCodec(protocol).createStreamDecoder(), onIrEvent);
