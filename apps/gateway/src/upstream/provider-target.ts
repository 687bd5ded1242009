import type { ProviderConfig } from '@sluice/config';
import type { ProtocolId } from '@sluice/protocols';

/** The wire protocol a provider family speaks for generation. */
export function protocolOfProvider(family: ProviderConfig['family']): ProtocolId | null {
  switch (family) {
    case 'openai':
      return 'openai-chat';
    case 'anthropic':
      return 'anthropic';
    case 'gemini':
      return 'gemini';
    case 'loopback':
      return null;
  }
}

export type TargetOptions = {
  model: string;
  stream: boolean;
  /** Anthropic clients' own headers, forwarded to Anthropic upstreams. */
  anthropicVersion?: string | undefined;
  anthropicBeta?: string | undefined;
  /** `embeddings`, `count_tokens`, `responses` instead of generation. */
  operation?:
    | 'generate'
    | 'embeddings'
    | 'count_tokens'
    | 'responses'
    | 'embed_content'
    | 'batch_embed_contents'
    | 'gemini_count_tokens';
};

function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}

/** URL and headers of one upstream call: each provider's own auth scheme and paths. */
export function upstreamTarget(
  p: ProviderConfig,
  o: TargetOptions,
): { url: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...p.headers };
  const op = o.operation ?? 'generate';
  switch (p.family) {
    case 'openai': {
      if (p.apiKey) headers['authorization'] = `Bearer ${p.apiKey}`;
      if (o.stream) headers['accept'] = 'text/event-stream';
      const path =
        op === 'embeddings' ? '/embeddings' : op === 'responses' ? '/responses' : '/chat/completions';
      return { url: join(p.baseUrl, path), headers };
    }
    case 'anthropic': {
      if (p.apiKey) headers['x-api-key'] = p.apiKey;
      headers['anthropic-version'] = o.anthropicVersion ?? '2023-06-01';
      if (o.anthropicBeta) headers['anthropic-beta'] = o.anthropicBeta;
      if (o.stream) headers['accept'] = 'text/event-stream';
      return {
        url: join(p.baseUrl, op === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages'),
        headers,
      };
    }
    case 'gemini': {
      if (p.apiKey) headers['x-goog-api-key'] = p.apiKey;
      const model = encodeURIComponent(o.model);
      const method =
        op === 'embed_content'
          ? 'embedContent'
          : op === 'batch_embed_contents'
            ? 'batchEmbedContents'
            : op === 'gemini_count_tokens'
              ? 'countTokens'
              : o.stream
                ? 'streamGenerateContent?alt=sse'
                : 'generateContent';
      return { url: join(p.baseUrl, `/v1beta/models/${model}:${method}`), headers };
    }
    case 'loopback':
      throw new Error('loopback has no upstream');
  }
}
