import { z } from 'zod';
import { GatewayError } from '../common/gateway-error';

const contentPart = z.object({ type: z.string() }).passthrough();

const message = z
  .object({
    role: z.string().min(1),
    content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
  })
  .passthrough();

/**
 * What the gateway itself needs of a chat completions body; everything else passes through
 * untouched to the provider (or is translated by libs/protocols).
 */
export const chatCompletionRequestSchema = z
  .object({
    model: z.string({ required_error: 'model is required' }).min(1, 'model must not be empty'),
    messages: z.array(message).min(1, 'messages must contain at least one message'),
    stream: z.boolean().optional().nullable(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().optional().nullable(),
    max_tokens: z.number().int().positive().optional().nullable(),
    max_completion_tokens: z.number().int().positive().optional().nullable(),
  })
  .passthrough();

export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;
export type ChatMessage = z.infer<typeof message>;

export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError(400, 'invalid_request', 'Request body must be a JSON object.');
  }
  const parsed = chatCompletionRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.join('.');
    throw new GatewayError(
      400,
      'invalid_request',
      param ? `Invalid '${param}': ${issue.message}` : issue.message,
      param || null,
    );
  }
  return parsed.data;
}

/** The text of a message, whatever form its content takes. */
export function messageText(m: ChatMessage): string {
  const c = m.content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return '';
  return c
    .map((p) =>
      p.type === 'text' && typeof (p as { text?: unknown }).text === 'string'
        ? (p as unknown as { text: string }).text
        : '',
    )
    .join('');
}
