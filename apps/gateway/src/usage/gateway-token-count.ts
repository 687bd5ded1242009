import { countRequestTokens, countTextTokens, type IrRequest } from '@sluice/protocols';
import type { RequestContext } from '../common/request-context';
import { sha256Hex } from './response-digest';

export type GatewayTokens = { input: number | null; output: number | null };

/**
 * The gateway's own token count of a finished request (A9.7 `gateway_counted`), beside the provider's:
 * the input as the provider was asked and the answer as relayed, with the o200k tokenizer. Runs after the
 * response is finished (off the client's latency path). A request body over `maxBytes`, or an answer over
 * as many characters, is not counted (null): tokenizing megabytes would cost more than it proves.
 */
export function countGatewayTokens(ctx: RequestContext, maxBytes: number): GatewayTokens {
  try {
    return { input: countInput(ctx, maxBytes), output: countAnswer(ctx, maxBytes) };
  } catch {
    // Never lose the usage event over a count.
    return { input: null, output: null };
  }
}

function countInput(ctx: RequestContext, maxBytes: number): number | null {
  if (ctx.countInput === null) return null;
  if (ctx.requestBody !== null && ctx.requestBody.length > maxBytes) return null;
  try {
    const ir: IrRequest | null = typeof ctx.countInput === 'function' ? ctx.countInput() : ctx.countInput;
    return ir === null ? null : countRequestTokens(ir);
  } catch {
    // A body the decoder refuses was refused upstream too; nothing to count.
    return null;
  }
}

function countAnswer(ctx: RequestContext, maxChars: number): number | null {
  if (ctx.answer === null) return null;
  const text = typeof ctx.answer === 'function' ? ctx.answer() : ctx.answer;
  return text.length > maxChars ? null : countTextTokens(text);
}

/** Hex SHA-256 of the request body as received (null without one). */
export function requestSha256(ctx: RequestContext): string | null {
  return ctx.requestBody === null ? null : sha256Hex(ctx.requestBody);
}

/**
 * Hex SHA-256 of what was written to the client (null when the response was never tapped). Does not
 * finalise: after a client hang-up the event is recorded at 'close' while the relay may still write.
 */
export function responseSha256(ctx: RequestContext): string | null {
  return ctx.responseHash === null ? null : ctx.responseHash.hex();
}
