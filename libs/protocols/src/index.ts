// @sluice/protocols: wire protocols (OpenAI Chat, OpenAI Responses, Anthropic Messages, Gemini), their
// intermediate representation, SSE codec, error shapes and translators. Pure TypeScript: no Nest import.
export * from './ir';
export * from './sse/sse-event';
export * from './sse/sse-parser';
export * from './sse/sse-serializer';
export * from './common/tool-names';
export * from './common/model-profiles';
export * from './common/ids';
export * from './common/inline-images';
export { parseArguments, stringifyArguments } from './common/json';
export * from './schema/json-schema-cleaner';
export * from './errors/error-shapes';
export * from './mapping/stop-reasons';
export * from './mapping/usage';
export * from './mapping/reasoning';
export * from './stream/block-sequencer';
export * from './stream/stream-translator';
export * from './stream/usage-tap';
export * from './tokens/token-counter';
export * from './openai-chat';
export * from './anthropic';
export * from './gemini';
export * from './responses';
export * from './codecs';
