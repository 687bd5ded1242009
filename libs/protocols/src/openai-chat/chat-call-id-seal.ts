import type { IrOrigin } from '../ir/common';
import { toOpenAiToolId } from '../common/ids';
import { openReasoning, sealReasoning } from '../responses/reasoning-envelope';

// A Chat client has no field for a Gemini function call's thought signature, but it sends every tool-call id back
// verbatim (on the assistant turn and on the tool message). The id is therefore where the gateway keeps the
// signature without state of its own: `<id>.sluice1.<envelope>`. The Chat request decoder splits it off again, so
// upstreams only ever see the plain id, and the signature goes back only to the provider that made it.

const MARK = '.sluice1.';

/** The tool-call id to show a Chat client. */
export const clientCallId = (
  id: string,
  signature: string | undefined,
  origin: IrOrigin | undefined,
): string => {
  if (!signature || origin === undefined || origin.provider === 'openai') return toOpenAiToolId(id);
  return `${id}.${sealReasoning({ origin, signature })}`;
};

/** Splits a client-sent id into the plain id and the signature it carried, if any. */
export const openCallId = (id: string): { id: string; signature?: string; origin?: IrOrigin } => {
  const at = id.indexOf(MARK);
  if (at < 0) return { id };
  const env = openReasoning(id.slice(at + 1));
  if (!env?.signature) return { id };
  return { id: id.slice(0, at), signature: env.signature, origin: env.origin };
};
