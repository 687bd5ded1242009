// OpenAI Responses API codec: request → IR, IR → response object and event stream, and the reverse decoding a
// passthrough needs for usage. See README.md in this folder for what maps and what is dropped.
export * from './responses-wire.types';
export * from './tool-namespaces';
export * from './reasoning-envelope';
export * from './custom-input-extractor';
export * from './responses-request.decoder';
export * from './responses-usage';
export * from './responses-stream.encoder';
export * from './responses-request.encoder';
export * from './responses-response.codec';
export * from './responses-stream.decoder';
export * from './previous-response';
export * from './responses.codec';
