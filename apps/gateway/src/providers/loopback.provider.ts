import { encode } from 'gpt-tokenizer';
import type { NormalizedUsage } from '@sluice/events';
import { messageText, type ChatCompletionRequest } from '../chat/chat-request.schema';

export const LOOPBACK_MODEL = 'loopback';
export const LOOPBACK_PROVIDER = 'loopback';

/**
 * The built-in model: answers without any provider by echoing the last user message. Token counts
 * are real (o200k tokenizer), so usage, metering and budgets behave as they will with a provider.
 */
export type LoopbackAnswer = {
  id: string;
  created: number;
  text: string;
  promptTokens: number;
  completionTokens: number;
};

export function loopbackAnswer(req: ChatCompletionRequest, requestId: string, nowMs: number): LoopbackAnswer {
  const lastUser = [...req.messages].reverse().find((m) => m.role === 'user');
  const text = lastUser ? messageText(lastUser) : '';
  const promptText = req.messages.map((m) => `${m.role}\n${messageText(m)}`).join('\n');
  // Chat formatting costs a few tokens per message in real models; count them the same way.
  const promptTokens = encode(promptText).length + 3 * req.messages.length + 3;
  return {
    id: `chatcmpl-${requestId.replace(/-/g, '')}`,
    created: Math.floor(nowMs / 1000),
    text,
    promptTokens,
    completionTokens: encode(text).length,
  };
}

export function loopbackUsage(a: LoopbackAnswer): {
  normalized: NormalizedUsage;
  raw: Record<string, unknown>;
} {
  const raw = {
    prompt_tokens: a.promptTokens,
    completion_tokens: a.completionTokens,
    total_tokens: a.promptTokens + a.completionTokens,
  };
  return {
    raw,
    normalized: {
      inputUncachedTokens: a.promptTokens,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: a.completionTokens,
      reasoningTokens: 0,
    },
  };
}

export function loopbackCompletion(a: LoopbackAnswer, model: string): Record<string, unknown> {
  return {
    id: a.id,
    object: 'chat.completion',
    created: a.created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: a.text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: loopbackUsage(a).raw,
    system_fingerprint: 'sluice-loopback',
  };
}

/** The answer as a list of `chat.completion.chunk` objects (role, text pieces, finish, usage). */
export function loopbackChunks(
  a: LoopbackAnswer,
  model: string,
  includeUsage: boolean,
): Record<string, unknown>[] {
  const base = {
    id: a.id,
    object: 'chat.completion.chunk',
    created: a.created,
    model,
    system_fingerprint: 'sluice-loopback',
  };
  const chunks: Record<string, unknown>[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    },
  ];
  for (const piece of splitWords(a.text)) {
    chunks.push({
      ...base,
      choices: [{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }],
    });
  }
  chunks.push({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
  if (includeUsage) chunks.push({ ...base, choices: [], usage: loopbackUsage(a).raw });
  return chunks;
}

/** Word-sized pieces, whitespace kept with the word before it, so the pieces join back exactly. */
export function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}
