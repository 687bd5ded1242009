// @sluice/protocols: wire protocols (OpenAI Chat, OpenAI Responses, Anthropic Messages, Gemini), their
// intermediate representation, SSE codec, error shapes and translators. Pure TypeScript: no Nest import.
export * from './ir';
export * from './sse/sse-event';
export * from './common/tool-names';
export * from './common/model-profiles';
