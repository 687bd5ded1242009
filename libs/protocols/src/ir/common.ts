// Shared building blocks of the intermediate representation (IR). Every wire protocol decodes into these
// types and encodes from them, so N protocols need 2N codecs instead of N² translators.

/** A wire protocol the gateway speaks, on the client side or the upstream side. */
export type ProtocolId = 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';

/**
 * The vendor family that minted an opaque artefact (thinking signature, encrypted reasoning, tool-call id).
 * Signatures are replayed only to the same family: other vendors reject them.
 */
export type ProviderFamily = 'openai' | 'anthropic' | 'gemini';

export const protocolFamily = (protocol: ProtocolId): ProviderFamily => {
  switch (protocol) {
    case 'openai-chat':
    case 'openai-responses':
      return 'openai';
    case 'anthropic':
      return 'anthropic';
    case 'gemini':
      return 'gemini';
  }
};

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Where an opaque value came from, so it is only sent back to the provider (and model) that made it. */
export interface IrOrigin {
  provider: ProviderFamily;
  model?: string;
}

/** Anthropic-style prompt-cache breakpoint; other targets drop it (OpenAI and Gemini cache implicitly). */
export interface IrCacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

/**
 * Fields of the source request that the IR does not model. `native` keeps them verbatim so an encoder for the
 * same protocol can put them back; `dropped` lists the dotted names an encoder could not carry to its target,
 * so the gateway can count them in a debug log instead of answering 400.
 */
export interface IrExtras {
  /** Source protocol → unmodelled top-level fields, verbatim. */
  native: Partial<Record<ProtocolId, Record<string, unknown>>>;
  /** Dotted field names dropped while decoding (e.g. `messages[2].content[0].type=input_audio`). */
  dropped: string[];
}

export const emptyExtras = (): IrExtras => ({ native: {}, dropped: [] });
