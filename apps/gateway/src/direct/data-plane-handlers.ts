import { Injectable } from '@nestjs/common';
import type { GatewayReply, GatewayRequest } from '../common/exchange';
import { GatewayError } from '../common/gateway-error';
import { EmbeddingsService } from '../embeddings/embeddings.service';
import { CountTokensService } from '../proxy/count-tokens.service';
import { ProxyService } from '../proxy/proxy.service';
import { ResponsesService } from '../responses/responses.service';

/** One data-plane POST route's work once the body is parsed and the key admitted. */
export type DataPlaneHandler = (req: GatewayRequest, reply: GatewayReply, body: unknown) => Promise<void>;

/**
 * The data-plane POST routes, written once: Nest's controllers call these, and so does the direct
 * lane (direct-lane.ts), which serves the same paths straight from node:http.
 */
@Injectable()
export class DataPlaneHandlers {
  constructor(
    private readonly proxy: ProxyService,
    private readonly counter: CountTokensService,
    private readonly responsesService: ResponsesService,
    private readonly embeddingsService: EmbeddingsService,
  ) {}

  readonly chatCompletions: DataPlaneHandler = (req, reply, body) => {
    req.sluice.endpoint = 'openai.chat_completions';
    return this.proxy.generate({ client: 'openai-chat', req, reply, body });
  };

  readonly messages: DataPlaneHandler = (req, reply, body) => {
    req.sluice.endpoint = 'anthropic.messages';
    return this.proxy.generate({ client: 'anthropic', req, reply, body });
  };

  readonly countTokens: DataPlaneHandler = (req, reply, body) => {
    req.sluice.endpoint = 'anthropic.count_tokens';
    return this.counter.count({ client: 'anthropic', req, reply, body });
  };

  readonly responses: DataPlaneHandler = (req, reply, body) => {
    req.sluice.endpoint = 'openai.responses';
    return this.responsesService.create(req, reply, body);
  };

  readonly embeddings: DataPlaneHandler = (req, reply, body) => {
    req.sluice.endpoint = 'openai.embeddings';
    return this.embeddingsService.openai(req, reply, body);
  };

  /** Gemini's `models/{model}:{method}`: the route is chosen by the method suffix. */
  async gemini(target: string, req: GatewayRequest, reply: GatewayReply, body: unknown): Promise<void> {
    const m = /^(.+):([A-Za-z]+)$/.exec(decodeURIComponent(target));
    if (!m)
      throw new GatewayError(
        404,
        'not_found',
        `Unknown Gemini method in '${target}': expected models/{model}:{method}.`,
      );
    const model = m[1]!.replace(/^models\//, '');
    switch (m[2]) {
      case 'generateContent':
      case 'streamGenerateContent': {
        const stream = m[2] === 'streamGenerateContent';
        req.sluice.endpoint = stream ? 'gemini.stream_generate_content' : 'gemini.generate_content';
        return this.proxy.generate({
          client: 'gemini',
          req,
          reply,
          body,
          pathModel: model,
          pathStream: stream,
        });
      }
      case 'countTokens':
        req.sluice.endpoint = 'gemini.count_tokens';
        return this.counter.count({ client: 'gemini', req, reply, body, pathModel: model });
      case 'embedContent':
      case 'batchEmbedContents':
        req.sluice.endpoint = 'gemini.embed_content';
        return this.embeddingsService.gemini(req, reply, body, model, m[2] === 'batchEmbedContents');
      default:
        throw new GatewayError(404, 'not_found', `Gemini method '${m[2]}' is not served by this gateway.`);
    }
  }
}
