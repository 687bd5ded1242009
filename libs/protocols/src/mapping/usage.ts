import type { IrUsage } from '../ir/response';
import { isObj, num, type Obj } from '../common/json';

// OpenAI and Gemini count cached tokens inside the prompt total; Anthropic counts them outside `input_tokens`.
// OpenAI counts reasoning inside completion tokens; Gemini counts thoughts outside candidates. The IR keeps
// disjoint input parts and an inclusive output total (see IrUsage).

const n = (v: unknown): number => num(v) ?? 0;
const sub = (o: unknown, k: string): Obj => (isObj(o) && isObj(o[k]) ? o[k] : {});

export const usageFromOpenAi = (u: unknown): IrUsage => {
  const o = isObj(u) ? u : {};
  // Chat uses prompt/completion, Responses uses input/output: accept both.
  const prompt = n(o.prompt_tokens ?? o.input_tokens);
  const pd = isObj(o.prompt_tokens_details) ? o.prompt_tokens_details : sub(o, 'input_tokens_details');
  const cd = isObj(o.completion_tokens_details)
    ? o.completion_tokens_details
    : sub(o, 'output_tokens_details');
  const cacheRead = n(pd.cached_tokens);
  const cacheWrite = n(pd.cache_write_tokens);
  return {
    inputUncachedTokens: Math.max(0, prompt - cacheRead - cacheWrite),
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    outputTokens: n(o.completion_tokens ?? o.output_tokens),
    reasoningTokens: n(cd.reasoning_tokens),
    raw: u,
  };
};

export const usageToOpenAiChat = (u: IrUsage): Obj => {
  const prompt = u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const details: Obj = { cached_tokens: u.cacheReadTokens };
  if (u.cacheWriteTokens > 0) details.cache_write_tokens = u.cacheWriteTokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.outputTokens,
    total_tokens: prompt + u.outputTokens,
    prompt_tokens_details: details,
    completion_tokens_details: { reasoning_tokens: u.reasoningTokens },
  };
};

export const usageFromAnthropic = (u: unknown): IrUsage => {
  const o = isObj(u) ? u : {};
  return {
    inputUncachedTokens: n(o.input_tokens),
    cacheReadTokens: n(o.cache_read_input_tokens),
    cacheWriteTokens: n(o.cache_creation_input_tokens),
    outputTokens: n(o.output_tokens),
    reasoningTokens: n(sub(o, 'output_tokens_details').thinking_tokens),
    raw: u,
  };
};

export const usageToAnthropic = (u: IrUsage): Obj => ({
  input_tokens: u.inputUncachedTokens,
  cache_creation_input_tokens: u.cacheWriteTokens,
  cache_read_input_tokens: u.cacheReadTokens,
  output_tokens: u.outputTokens,
});

export const usageFromGemini = (u: unknown): IrUsage => {
  const o = isObj(u) ? u : {};
  const prompt = n(o.promptTokenCount) + n(o.toolUsePromptTokenCount);
  const cached = n(o.cachedContentTokenCount);
  const thoughts = n(o.thoughtsTokenCount);
  return {
    inputUncachedTokens: Math.max(0, prompt - cached),
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
    outputTokens: n(o.candidatesTokenCount) + thoughts,
    reasoningTokens: thoughts,
    raw: u,
  };
};

export const usageToGemini = (u: IrUsage): Obj => {
  const prompt = u.inputUncachedTokens + u.cacheReadTokens + u.cacheWriteTokens;
  const out: Obj = {
    promptTokenCount: prompt,
    candidatesTokenCount: Math.max(0, u.outputTokens - u.reasoningTokens),
    totalTokenCount: prompt + u.outputTokens,
  };
  if (u.cacheReadTokens > 0) out.cachedContentTokenCount = u.cacheReadTokens;
  if (u.reasoningTokens > 0) out.thoughtsTokenCount = u.reasoningTokens;
  return out;
};
