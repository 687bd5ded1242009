import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@sluice/observability';
import type { GatewayReply, GatewayRequest } from './exchange';
import { errorBody as protocolErrorBody, ProtocolError, type ProtocolId } from '@sluice/protocols';
import { GatewayError, type GatewayErrorCode } from './gateway-error';
import { errorBody, protocolOf } from './protocol';
import { CLIENT_CLOSED_CODE } from '../usage/usage-recorder.service';

/**
 * The one place errors become responses: every failure is rendered in the error shape of the
 * protocol the caller speaks, with its status. Unknown errors are 500s whose details go to the log
 * (never the message of an arbitrary exception, which could carry request content).
 */
@Catch()
export class GatewayErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), this.logger);
  }
}

/**
 * Renders a failure for the routes served through Nest (the filter above) and for the direct lane
 * (direct/direct-lane.ts) alike.
 */
export function sendError(
  exception: unknown,
  req: GatewayRequest,
  reply: GatewayReply,
  logger: Logger,
): void {
  if (clientClosed(reply)) {
    // The client hung up before the answer was done (the abort of its upstream call lands here):
    // nothing failed on this side and there is no one to answer. The usage event records it as 499.
    if (req.sluice) req.sluice.errorCode = CLIENT_CLOSED_CODE;
    return;
  }
  if (exception instanceof ProtocolError) {
    // An upstream's error (or a codec's 400), already in protocol-neutral form: same status,
    // the caller's shape.
    const e = exception.error;
    if (req.sluice) req.sluice.errorCode = e.code ?? e.kind;
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.end();
      return;
    }
    const protocol = req.sluice?.protocol ?? protocolOf(req.url);
    const pid: ProtocolId =
      protocol === 'anthropic' ? 'anthropic' : protocol === 'gemini' ? 'gemini' : 'openai-chat';
    void reply.status(e.status).send(protocolErrorBody(pid, e));
    return;
  }
  const err = toGatewayError(exception, `${req.method} ${req.url.split('?', 1)[0] ?? ''}`);
  if (err.status >= 500) {
    logger.error(
      { requestId: req.id, err: exception instanceof Error ? exception.stack : String(exception) },
      'request failed',
    );
  }
  if (req.sluice) req.sluice.errorCode = err.code;
  if (reply.sent || reply.raw.headersSent) {
    // A stream already started: all that can be done is to end it.
    reply.raw.end();
    return;
  }
  const protocol = req.sluice?.protocol ?? protocolOf(req.url);
  void reply.status(err.status).send(errorBody(protocol, err.status, err.code, err.message, err.param));
}

/** The client's connection closed before its response finished. */
function clientClosed(reply: GatewayReply): boolean {
  return reply.raw.destroyed && !reply.raw.writableFinished;
}

type FastifyLikeError = { statusCode?: number; code?: string; message?: string };

export function toGatewayError(exception: unknown, route = ''): GatewayError {
  if (exception instanceof GatewayError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code: GatewayErrorCode =
      status === 401
        ? 'invalid_api_key'
        : status === 403
          ? 'permission_denied'
          : status === 404
            ? 'not_found'
            : status === 413
              ? 'request_too_large'
              : status >= 500
                ? 'internal_error'
                : 'invalid_request';
    // Nest's own 404 (no such route) says nothing useful; name the route instead.
    const message = status === 404 ? `Unknown route: ${route}` : exception.message;
    // Fastify's body errors reach here wrapped by Nest; the direct lane raises the same two itself.
    if (status === 413) return tooLarge();
    if (status === 400 && /^Body cannot be empty/.test(message)) return emptyBody();
    if (status === 400 && /JSON/.test(message)) return invalidJson();
    return new GatewayError(status, code, message);
  }
  // Errors Fastify raises before a handler runs (body parsing, size limits).
  const f = exception as FastifyLikeError;
  if (typeof f?.code === 'string' && f.code.startsWith('FST_')) {
    if (f.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge();
    if (f.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return new GatewayError(415, 'invalid_request', 'Unsupported content type: send application/json.');
    if (f.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return emptyBody();
    if (f.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || f.code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH')
      return invalidJson();
    const status = f.statusCode && f.statusCode >= 400 && f.statusCode < 500 ? f.statusCode : 400;
    return new GatewayError(status, 'invalid_request', 'The request could not be read.');
  }
  if (exception instanceof SyntaxError) return invalidJson();
  return new GatewayError(500, 'internal_error', 'Internal error in the gateway.');
}

export function invalidJson(): GatewayError {
  return new GatewayError(400, 'invalid_json', 'Request body is not valid JSON.');
}

export function emptyBody(): GatewayError {
  return new GatewayError(400, 'invalid_json', 'Request body is empty; a JSON object is required.');
}

export function tooLarge(): GatewayError {
  return new GatewayError(413, 'request_too_large', 'Request body is larger than the configured limit.');
}
