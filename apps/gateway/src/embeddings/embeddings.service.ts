import { Injectable } from '@nestjs/common';
import type { GatewayReply, GatewayRequest } from '../common/exchange';
import type { ProviderConfig } from '@sluice/config';
import { countTextTokens, decodeError, ProtocolError, type ProtocolId } from '@sluice/protocols';
import { GatewayError } from '../common/gateway-error';
import { ModelRouter } from '../routing/model-router.service';
import { upstreamTarget, type TargetOptions } from '../upstream/provider-target';
import { UpstreamClient } from '../upstream/upstream-client';

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Embeddings are passed through to a provider of the client's own family, as they came (the
 * OpenAI SDK's `encoding_format: "base64"` included): vectors do not translate across families.
 */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly router: ModelRouter,
    private readonly upstream: UpstreamClient,
  ) {}

  /** OpenAI `POST /v1/embeddings`. */
  async openai(req: GatewayRequest, reply: GatewayReply, body: unknown): Promise<void> {
    if (!isObject(body))
      throw new GatewayError(400, 'invalid_request', 'Request body must be a JSON object.');
    const model = body['model'];
    if (typeof model !== 'string' || model === '')
      throw new GatewayError(400, 'invalid_request', "'model' is required.", 'model');
    if (body['input'] === undefined)
      throw new GatewayError(400, 'invalid_request', "'input' is required.", 'input');
    const { provider, served } = this.route(req, model, 'openai');
    const text = await this.call(
      provider,
      'openai-chat',
      { model: served, stream: false, operation: 'embeddings' },
      { ...body, model: served },
    );
    try {
      const usage = (JSON.parse(text) as { usage?: { prompt_tokens?: number } }).usage;
      if (usage && typeof usage.prompt_tokens === 'number') {
        req.sluice.usage = {
          inputUncachedTokens: usage.prompt_tokens,
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: 0,
          reasoningTokens: 0,
        };
        req.sluice.rawUsage = usage;
      }
    } catch {
      // relayed as it is; no usage to record
    }
    await reply.status(200).header('content-type', 'application/json').send(text);
  }

  /** Gemini `:embedContent` and `:batchEmbedContents` (what @google/genai's embedContent() calls). */
  async gemini(
    req: GatewayRequest,
    reply: GatewayReply,
    body: unknown,
    model: string,
    batch: boolean,
  ): Promise<void> {
    if (!isObject(body))
      throw new GatewayError(400, 'invalid_request', 'Request body must be a JSON object.');
    const { provider, served } = this.route(req, model, 'gemini');
    const text = await this.call(
      provider,
      'gemini',
      { model: served, stream: false, operation: batch ? 'batch_embed_contents' : 'embed_content' },
      body,
    );
    // Gemini reports no usage for embeddings: the gateway counts the input with its tokenizer.
    const tokens = countTextTokens(collectText(body).join('\n'));
    req.sluice.usage = {
      inputUncachedTokens: tokens,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    };
    await reply.status(200).header('content-type', 'application/json').send(text);
  }

  private route(
    req: GatewayRequest,
    model: string,
    family: 'openai' | 'gemini',
  ): { provider: ProviderConfig; served: string } {
    req.sluice.modelRequested = model;
    const route = this.router.resolve(model);
    req.sluice.modelServed = route.served;
    const provider = route.chain.find((p) => p.family === family);
    if (!provider) {
      throw new GatewayError(
        400,
        'invalid_request',
        `Embeddings for '${model}' need a provider of the ${family} family; its route has none.`,
        'model',
      );
    }
    req.sluice.provider = provider.name;
    return { provider, served: route.served };
  }

  private async call(
    provider: ProviderConfig,
    protocol: ProtocolId,
    target: TargetOptions,
    body: unknown,
  ): Promise<string> {
    const { url, headers } = upstreamTarget(provider, target);
    const res = await this.upstream.send({
      url,
      headers,
      body: JSON.stringify(body),
      timeoutMs: provider.timeoutMs,
      signal: AbortSignal.timeout(provider.timeoutMs),
    });
    const text = await res.body.text();
    if (res.status >= 400) throw new ProtocolError(decodeError(protocol, res.status, text));
    return text;
  }
}

/** Every `text` under a Gemini embed body (`content.parts`, `requests[].content.parts`). */
function collectText(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) collectText(x, out);
  else if (isObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'text' && typeof x === 'string') out.push(x);
      else collectText(x, out);
    }
  }
  return out;
}
