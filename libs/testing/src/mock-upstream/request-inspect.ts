import { createHash } from 'node:crypto';
import type { MockEndpoint, MockProtocol } from './mock-upstream.types';
import { estimateTokens } from './resolved-turn';

export type GeminiMethod =
  'generateContent' | 'streamGenerateContent' | 'countTokens' | 'embedContent' | 'batchEmbedContents';

/** Which provider endpoint a method + path is. */
export interface Route {
  protocol: MockProtocol;
  endpoint: MockEndpoint;
  /** Gemini carries the model (and the method) in the path. */
  pathModel?: string;
  geminiMethod?: GeminiMethod;
}

const GEMINI_PATH = /^\/(?:v1|v1beta|v1alpha)\/models\/([^/:]+):([A-Za-z]+)$/;

export function routeOf(
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
): Route | undefined {
  if (method === 'POST') {
    switch (path) {
      case '/v1/chat/completions':
        return { protocol: 'openai-chat', endpoint: 'generate' };
      case '/v1/responses':
        return { protocol: 'openai-responses', endpoint: 'generate' };
      case '/v1/embeddings':
        return { protocol: 'openai-chat', endpoint: 'embeddings' };
      case '/v1/messages':
        return { protocol: 'anthropic', endpoint: 'generate' };
      case '/v1/messages/count_tokens':
        return { protocol: 'anthropic', endpoint: 'count-tokens' };
    }
    const gemini = GEMINI_PATH.exec(path);
    if (gemini !== null) {
      const model = decodeURIComponent(gemini[1]!);
      const method = gemini[2]!;
      switch (method) {
        case 'generateContent':
        case 'streamGenerateContent':
          return { protocol: 'gemini', endpoint: 'generate', pathModel: model, geminiMethod: method };
        case 'countTokens':
          return { protocol: 'gemini', endpoint: 'count-tokens', pathModel: model, geminiMethod: method };
        case 'embedContent':
        case 'batchEmbedContents':
          return { protocol: 'gemini', endpoint: 'embeddings', pathModel: model, geminiMethod: method };
      }
    }
    return undefined;
  }
  if (method === 'GET') {
    // Anthropic and OpenAI share GET /v1/models; only Anthropic clients send anthropic-version.
    if (path === '/v1/models') {
      return {
        protocol: headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai-chat',
        endpoint: 'models',
      };
    }
    if (path === '/v1beta/models') return { protocol: 'gemini', endpoint: 'models' };
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of an OpenAI / Anthropic content value: a string, or the `text` of its text-like parts. */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const texts = content
    .filter(isRecord)
    .filter(
      (part) =>
        part.type === 'text' ||
        part.type === 'input_text' ||
        (part.type === undefined && typeof part.text === 'string'),
    )
    .map((part) => part.text)
    .filter((text): text is string => typeof text === 'string');
  return texts.length > 0 ? texts.join('\n') : undefined;
}

function lastText(
  entries: unknown,
  isUser: (entry: Record<string, unknown>) => boolean,
  contentOf: (entry: Record<string, unknown>) => unknown,
): string | undefined {
  if (!Array.isArray(entries)) return undefined;
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry: unknown = entries[i];
    if (!isRecord(entry) || !isUser(entry)) continue;
    const text = contentText(contentOf(entry));
    if (text !== undefined) return text;
  }
  return undefined;
}

/** The last text the user said, in any of the four request shapes. */
export function lastUserText(protocol: MockProtocol, body: Record<string, unknown>): string | undefined {
  switch (protocol) {
    case 'openai-chat':
    case 'anthropic':
      return lastText(
        body.messages,
        (m) => m.role === 'user',
        (m) => m.content,
      );
    case 'openai-responses':
      if (typeof body.input === 'string') return body.input;
      return lastText(
        body.input,
        (item) => item.role === 'user' && (item.type === undefined || item.type === 'message'),
        (item) => item.content,
      );
    case 'gemini':
      return lastText(
        body.contents,
        (c) => c.role === undefined || c.role === 'user',
        (c) => c.parts,
      );
  }
}

const NON_CONTENT_KEYS = new Set([
  'model',
  'role',
  'type',
  'id',
  'tool_use_id',
  'call_id',
  'tool_call_id',
  'signature',
  'thoughtSignature',
  'data',
  'encrypted_content',
]);

function collectStrings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out);
  else if (isRecord(value)) {
    for (const [key, v] of Object.entries(value)) if (!NON_CONTENT_KEYS.has(key)) collectStrings(v, out);
  }
}

/** A deterministic, word-ish token count of everything textual in a request body. */
export function estimateRequestTokens(body: unknown): number {
  const strings: string[] = [];
  collectStrings(body, strings);
  return strings.reduce((sum, s) => sum + estimateTokens(s), 0);
}

/** A unit vector derived from the text, so equal texts get equal embeddings and different ones differ. */
export function hashEmbedding(text: string, dimensions: number): number[] {
  const values: number[] = [];
  let block = 0;
  while (values.length < dimensions) {
    const digest = createHash('sha256').update(`${block++}:${text}`).digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) {
      values.push((digest.readUInt16LE(i) / 65535) * 2 - 1);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  // Float32-exact, so the base64 (float32) encoding decodes to the same numbers.
  return values.map((v) => Math.fround(v / norm));
}

export function float32Base64(values: number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer.toString('base64');
}

export function embeddingInputs(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (Array.isArray(input)) {
    if (input.every((v) => typeof v === 'number')) return [JSON.stringify(input)];
    return input.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  }
  return [];
}

export { isRecord };
