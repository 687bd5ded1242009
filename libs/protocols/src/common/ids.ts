import { createHash } from 'node:crypto';

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

/**
 * Anthropic tool-use ids must match `^[a-zA-Z0-9_-]+$`. Upstream ids are kept; invalid characters are replaced
 * deterministically, so a call and its result (mapped separately) still match.
 */
export const toAnthropicToolId = (id: string): string => {
  const clean = id.replace(/[^a-zA-Z0-9_-]/g, '_');
  return clean.length > 0 ? clean : 'toolu_empty';
};

/** OpenAI accepts tool-call ids of at most 40 characters; longer ones are hashed (deterministically). */
export const toOpenAiToolId = (id: string): string =>
  id.length <= 40 && id.length > 0 ? id : `call_${shortHash(id)}`;
