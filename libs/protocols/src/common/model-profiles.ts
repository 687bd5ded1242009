/**
 * What a target model accepts. Encoders use it to clamp `max_tokens`, to supply a default where the protocol
 * requires one (Anthropic), and to drop parameters the model rejects instead of letting the upstream answer 400.
 */
export interface ModelProfile {
  /** Hard output limit: larger requests are clamped to it (Claude Code sends 128000). */
  maxOutputTokens?: number;
  /** Used when the request has no output limit and the protocol needs one (Anthropic requires `max_tokens`). */
  defaultMaxOutputTokens?: number;
  /** Accepts reasoning parameters (`reasoning_effort`, `thinking`, `thinkingConfig`). */
  reasoning?: boolean;
  /** Accepts temperature / top_p (OpenAI reasoning models reject them). */
  sampling?: boolean;
  /** OpenAI Chat field for the output limit: newer OpenAI models need `max_completion_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Anthropic: `adaptive` thinking + `output_config.effort` (newer models) or `enabled` + `budget_tokens`. */
  anthropicThinking?: 'adaptive' | 'budget';
  /** Gemini: `thinkingLevel` (Gemini 3) or `thinkingBudget` (2.5). */
  geminiThinking?: 'level' | 'budget';
  /**
   * Gemini tool schemas: `parametersJsonSchema` (JSON Schema, the default) or `parameters` (the OpenAPI subset, for
   * older models and proxies that only know it).
   */
  geminiSchemaField?: 'parametersJsonSchema' | 'parameters';
  /**
   * OpenAI Chat: send `developer` messages as such. OpenAI's own reasoning models take them; many OpenAI-compatible
   * servers (vLLM, Ollama …) only know `system`, so by default they become `system`.
   */
  developerRole?: boolean;
  /**
   * OpenAI's own API: accepts OpenAI-only fields (`prompt_cache_key`, `verbosity`, `metadata`). Unknown models are
   * treated as strict OpenAI-compatible servers that reject fields they do not know.
   */
  openAiExtensions?: boolean;
  /** The model cannot turn thinking off (Gemini 2.5 Pro rejects `thinkingBudget: 0`): "off" is not sent. */
  thinkingAlwaysOn?: boolean;
}

/** A profile rule: `pattern` is an exact name or a `*` wildcard pattern; the first match wins. */
export interface ModelProfileRule {
  pattern: string;
  profile: ModelProfile;
}

/** Built-in rules, most specific first. Operators prepend their own through `resolveModelProfile(model, rules)`. */
export const DEFAULT_MODEL_PROFILES: readonly ModelProfileRule[] = [
  {
    pattern: 'claude-3-haiku*',
    profile: { maxOutputTokens: 4096, reasoning: false, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude-3-5*',
    profile: { maxOutputTokens: 8192, reasoning: false, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude-3-7*',
    profile: { maxOutputTokens: 64000, reasoning: true, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude-opus-4-1*',
    profile: { maxOutputTokens: 32000, reasoning: true, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude-opus-4-2*',
    profile: { maxOutputTokens: 32000, reasoning: true, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude-opus-4-5*',
    profile: { maxOutputTokens: 64000, reasoning: true, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude-sonnet-4*',
    profile: { maxOutputTokens: 64000, reasoning: true, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude-haiku-4*',
    profile: { maxOutputTokens: 64000, reasoning: true, anthropicThinking: 'budget' },
  },
  {
    pattern: 'claude*',
    profile: { maxOutputTokens: 128000, reasoning: true, anthropicThinking: 'adaptive' },
  },
  { pattern: 'gpt-3.5*', profile: { maxOutputTokens: 4096, reasoning: false, maxTokensField: 'max_tokens' } },
  {
    pattern: 'gpt-4o*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 16384,
      reasoning: false,
      maxTokensField: 'max_completion_tokens',
    },
  },
  {
    pattern: 'chatgpt-4o*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 16384,
      reasoning: false,
      maxTokensField: 'max_completion_tokens',
    },
  },
  {
    pattern: 'gpt-4.1*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 32768,
      reasoning: false,
      maxTokensField: 'max_completion_tokens',
    },
  },
  { pattern: 'gpt-4*', profile: { maxOutputTokens: 8192, reasoning: false, maxTokensField: 'max_tokens' } },
  {
    pattern: 'gpt-5*-chat*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 16384,
      reasoning: false,
      maxTokensField: 'max_completion_tokens',
    },
  },
  {
    pattern: 'gpt-5*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 128000,
      reasoning: true,
      sampling: false,
      maxTokensField: 'max_completion_tokens',
      developerRole: true,
    },
  },
  {
    pattern: 'gpt-6*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 128000,
      reasoning: true,
      sampling: false,
      maxTokensField: 'max_completion_tokens',
      developerRole: true,
    },
  },
  {
    pattern: 'o1*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 100000,
      reasoning: true,
      sampling: false,
      maxTokensField: 'max_completion_tokens',
      developerRole: true,
    },
  },
  {
    pattern: 'o3*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 100000,
      reasoning: true,
      sampling: false,
      maxTokensField: 'max_completion_tokens',
      developerRole: true,
    },
  },
  {
    pattern: 'o4*',
    profile: {
      openAiExtensions: true,
      maxOutputTokens: 100000,
      reasoning: true,
      sampling: false,
      maxTokensField: 'max_completion_tokens',
      developerRole: true,
    },
  },
  { pattern: 'gemini-1*', profile: { maxOutputTokens: 8192, reasoning: false } },
  { pattern: 'gemini-2.0*', profile: { maxOutputTokens: 8192, reasoning: false } },
  {
    pattern: 'gemini-2.5-pro*',
    profile: { maxOutputTokens: 65536, reasoning: true, geminiThinking: 'budget', thinkingAlwaysOn: true },
  },
  { pattern: 'gemini-2.5*', profile: { maxOutputTokens: 65536, reasoning: true, geminiThinking: 'budget' } },
  { pattern: 'gemini*', profile: { maxOutputTokens: 65536, reasoning: true, geminiThinking: 'level' } },
];

/** When nothing matches: no clamp; reasoning left undecided (Anthropic and Gemini targets try it, Chat does not). */
const FALLBACK: ModelProfile = { sampling: true };

/** Anthropic needs some `max_tokens`; this is used when neither the request nor the profile gives one. */
export const ANTHROPIC_FALLBACK_MAX_TOKENS = 8192;

/** Compiled wildcard patterns: a handful of rules, matched on every request. */
const patterns = new Map<string, RegExp>();

export const matchesModelPattern = (pattern: string, model: string): boolean => {
  if (!pattern.includes('*')) return pattern === model;
  let re = patterns.get(pattern);
  if (re === undefined) {
    re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
    if (patterns.size >= 4096) patterns.clear();
    patterns.set(pattern, re);
  }
  return re.test(model);
};

const escapeRe = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** The defaults' profile per model name (no caller rule matched): resolved and merged once per name, frozen. */
const defaultHits = new Map<string, Readonly<ModelProfile>>();

/** First matching rule of `rules` then of the defaults; unset fields fall back to permissive defaults. */
export const resolveModelProfile = (
  model: string,
  rules: readonly ModelProfileRule[] = [],
): Readonly<ModelProfile> => {
  const hit = rules.length === 0 ? undefined : rules.find((r) => matchesModelPattern(r.pattern, model));
  if (hit !== undefined) return { ...FALLBACK, ...hit.profile };
  let profile = defaultHits.get(model);
  if (profile === undefined) {
    const d = DEFAULT_MODEL_PROFILES.find((r) => matchesModelPattern(r.pattern, model));
    profile = Object.freeze({ ...FALLBACK, ...(d?.profile ?? {}) });
    if (defaultHits.size >= 4096) defaultHits.clear();
    defaultHits.set(model, profile);
  }
  return profile;
};
