import type { IrOrigin, ProviderFamily } from '../ir/common';

// A Responses client (Codex) keeps reasoning items and sends them back verbatim on the next turn, `encrypted_content`
// included. That field is therefore where a translating gateway keeps, without state of its own, the opaque proof a
// non-OpenAI upstream needs to see again: Anthropic thinking signatures and redacted thinking, Gemini thought
// signatures. The envelope names the provider family so the artefact is only ever replayed to it. OpenAI's own
// `encrypted_content` (Fernet, `gAAAA…`) never starts with the prefix and is passed through untouched.

const PREFIX = 'sluice1.';

export interface ReasoningEnvelope {
  origin: IrOrigin;
  /** Anthropic thinking `signature` / Gemini `thoughtSignature` of a thought part. */
  signature?: string;
  /** Anthropic `redacted_thinking.data`. */
  redacted?: string;
  /** Gemini `thoughtSignature` that belonged to a function call, with that call's id. */
  call?: { id: string; signature: string };
}

interface Packed {
  p: ProviderFamily;
  m?: string;
  s?: string;
  r?: string;
  c?: { id: string; s: string };
}

const FAMILIES: readonly ProviderFamily[] = ['openai', 'anthropic', 'gemini'];

export const sealReasoning = (env: ReasoningEnvelope): string => {
  const packed: Packed = { p: env.origin.provider };
  if (env.origin.model !== undefined) packed.m = env.origin.model;
  if (env.signature !== undefined) packed.s = env.signature;
  if (env.redacted !== undefined) packed.r = env.redacted;
  if (env.call !== undefined) packed.c = { id: env.call.id, s: env.call.signature };
  return PREFIX + Buffer.from(JSON.stringify(packed), 'utf8').toString('base64url');
};

/** `undefined` when the value is not one of ours (then it is OpenAI's own encrypted reasoning). */
export const openReasoning = (encrypted: string): ReasoningEnvelope | undefined => {
  if (!encrypted.startsWith(PREFIX)) return undefined;
  try {
    const v = JSON.parse(
      Buffer.from(encrypted.slice(PREFIX.length), 'base64url').toString('utf8'),
    ) as Partial<Packed>;
    if (typeof v !== 'object' || v === null || !FAMILIES.includes(v.p as ProviderFamily)) return undefined;
    const env: ReasoningEnvelope = { origin: { provider: v.p as ProviderFamily } };
    if (typeof v.m === 'string') env.origin.model = v.m;
    if (typeof v.s === 'string') env.signature = v.s;
    if (typeof v.r === 'string') env.redacted = v.r;
    if (v.c && typeof v.c.id === 'string' && typeof v.c.s === 'string')
      env.call = { id: v.c.id, signature: v.c.s };
    return env;
  } catch {
    return undefined;
  }
};
