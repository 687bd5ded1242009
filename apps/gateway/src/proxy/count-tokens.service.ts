import { Injectable } from '@nestjs/common';
import type { GatewayReply, GatewayRequest } from '../common/exchange';
import {
  countRequestTokens,
  countTokensResponseBody,
  decodeError,
  getCodec,
  ProtocolError,
} from '@sluice/protocols';
import { GatewayError } from '../common/gateway-error';
import { ModelRouter } from '../routing/model-router.service';
import { upstreamTarget } from '../upstream/provider-target';
import { UpstreamClient } from '../upstream/upstream-client';

export type CountInput = {
  client: 'anthropic' | 'gemini';
  req: GatewayRequest;
  reply: GatewayReply;
  body: unknown;
  pathModel?: string;
};

/**
 * Anthropic `count_tokens` and Gemini `:countTokens`: asked of the provider when it is of the
 * client's own family (its count is the one that bills), otherwise counted here with a real
 * tokenizer (o200k) over the request's text, tool definitions and images.
 */
@Injectable()
export class CountTokensService {
  constructor(
    private readonly router: ModelRouter,
    private readonly upstream: UpstreamClient,
  ) {}

  async count(input: CountInput): Promise<void> {
    const { client, req, reply, body } = input;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new GatewayError(400, 'invalid_request', 'Request body must be a JSON object.');
    const model = input.pathModel ?? (body as { model?: unknown }).model;
    if (typeof model !== 'string' || model === '')
      throw new GatewayError(400, 'invalid_request', "'model' is required.", 'model');
    req.sluice.modelRequested = model;
    const route = this.router.resolve(model);
    req.sluice.modelServed = route.served;
    const provider = route.chain[0]!;
    req.sluice.provider = provider.name;
    if (provider.family === client) {
      const payload =
        client === 'anthropic' ? { ...(body as Record<string, unknown>), model: route.served } : body;
      const { url, headers } = upstreamTarget(provider, {
        model: route.served,
        stream: false,
        operation: client === 'anthropic' ? 'count_tokens' : 'gemini_count_tokens',
        anthropicVersion: headerOf(req, 'anthropic-version'),
        anthropicBeta: headerOf(req, 'anthropic-beta'),
      });
      const res = await this.upstream.send({
        url,
        headers,
        body: JSON.stringify(payload),
        timeoutMs: provider.timeoutMs,
        signal: AbortSignal.timeout(provider.timeoutMs),
      });
      const text = await res.body.text();
      if (res.status >= 400) throw new ProtocolError(decodeError(client, res.status, text));
      await reply.status(200).header('content-type', 'application/json').send(text);
      return;
    }
    const ir = getCodec(client).decodeRequest(body, input.pathModel ? { model: input.pathModel } : {});
    await reply.status(200).send(countTokensResponseBody(client, countRequestTokens(ir)));
  }
}

function headerOf(req: GatewayRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
