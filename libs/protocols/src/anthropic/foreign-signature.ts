import type { IrOrigin } from '../ir/common';
import type { IrOutputPart } from '../ir/content';
import type { Obj } from '../common/json';
import { sealReasoning } from '../responses/reasoning-envelope';
import { toAnthropicToolId } from '../common/ids';

// An Anthropic client (Claude Code) sends its thinking blocks back verbatim on the next turn, signature included.
// When the answer came from another provider, the signature field is where the gateway keeps, without state of
// its own, that provider's opaque artefact (Gemini thought signatures, OpenAI encrypted reasoning), sealed in the
// same envelope the Responses codec uses; the Anthropic request decoder opens it and the artefact goes back only to
// the provider that made it. Anthropic's own signatures pass untouched.

/** The `signature` to show an Anthropic client for a thinking block of `origin`. */
export const anthropicSignature = (signature: string | undefined, origin: IrOrigin | undefined): string => {
  if (signature === undefined || signature === '') return '';
  if (origin === undefined || origin.provider === 'anthropic') return signature;
  return sealReasoning({ origin, signature });
};

/**
 * A Gemini function call's thought signature has no place on an Anthropic `tool_use` block: it rides in an empty
 * thinking block placed just before the call.
 */
export const callSignatureCarrier = (p: IrOutputPart): Obj | undefined => {
  if (p.type !== 'tool_call' || !p.signature || p.origin === undefined || p.origin.provider === 'anthropic')
    return undefined;
  return { type: 'thinking', thinking: '', signature: sealCallSignature(p.id, p.signature, p.origin) };
};

/** The same carrier, for a stream: the seal to put in a `signature_delta`. */
export const sealCallSignature = (id: string, signature: string, origin: IrOrigin): string =>
  // The id as the client will see it on the tool_use block, so the decoder can match them.
  sealReasoning({ origin, call: { id: toAnthropicToolId(id), signature } });
