import { makeError, ProtocolError, type IrUsage } from '@sluice/protocols';
import type { RequestContext } from '../common/request-context';
import type { UpstreamReply } from './upstream-client';

/** A provider's (non-streamed) answer: its text, as relayed on passthrough, and its JSON. */
export async function readUpstreamJson(res: UpstreamReply): Promise<{ text: string; parsed: unknown }> {
  const text = await res.body.text();
  try {
    return { text, parsed: JSON.parse(text) as unknown };
  } catch {
    throw new ProtocolError(
      makeError(502, 'The provider answered with a body that is not JSON.', 'bad_upstream_response'),
    );
  }
}

/** The provider's numbers, normalised and raw, as the request's usage event carries them. */
export function recordUsage(ctx: RequestContext, u: IrUsage): void {
  ctx.usage = {
    inputUncachedTokens: u.inputUncachedTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
    outputTokens: u.outputTokens,
    reasoningTokens: u.reasoningTokens,
  };
  ctx.rawUsage =
    typeof u.raw === 'object' && u.raw !== null && !Array.isArray(u.raw)
      ? (u.raw as Record<string, unknown>)
      : null;
}
