import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type Content } from '@google/genai';
import OpenAI from 'openai';

/** What every matrix cell does, written once per official SDK. */
export type SdkClient = {
  name: 'openai' | 'anthropic' | 'gemini';
  text(model: string, prompt: string): Promise<string>;
  /** Streams; `onPiece` gets the local time of each piece of text that arrives. */
  stream(model: string, prompt: string, onPiece?: (atMs: number) => void): Promise<string>;
  /** Offers get_weather, runs the call the model makes with `result`, returns the final text and the call. */
  toolLoop(
    model: string,
    result: string,
  ): Promise<{ text: string; name: string; args: Record<string, unknown> }>;
  /** Resolves with the HTTP status of the error the SDK raised. */
  errorStatus(model: string): Promise<number>;
};

const now = (): number => performance.timeOrigin + performance.now();
const WEATHER_SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

export function openaiClient(baseUrl: string, apiKey: string): SdkClient {
  const c = new OpenAI({ apiKey, baseURL: `${baseUrl}/v1`, maxRetries: 0 });
  return {
    name: 'openai',
    async text(model, prompt) {
      const r = await c.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }] });
      return r.choices[0]?.message.content ?? '';
    },
    async stream(model, prompt, onPiece) {
      let text = '';
      const s = await c.chat.completions.create({
        model,
        stream: true,
        messages: [{ role: 'user', content: prompt }],
      });
      for await (const chunk of s) {
        const piece = chunk.choices[0]?.delta.content ?? '';
        if (piece) onPiece?.(now());
        text += piece;
      }
      return text;
    },
    async toolLoop(model, result) {
      const tools: OpenAI.ChatCompletionTool[] = [
        { type: 'function', function: { name: 'get_weather', parameters: WEATHER_SCHEMA } },
      ];
      const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const first = await c.chat.completions.create({ model, messages, tools });
      const msg = first.choices[0]!.message;
      const call = msg.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
      messages.push(msg, { role: 'tool', tool_call_id: call.id, content: result });
      const second = await c.chat.completions.create({ model, messages, tools });
      return {
        text: second.choices[0]?.message.content ?? '',
        name: call.function.name,
        args: JSON.parse(call.function.arguments) as Record<string, unknown>,
      };
    },
    async errorStatus(model) {
      try {
        await c.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
      } catch (err) {
        if (err instanceof OpenAI.APIError) return (err.status as number | undefined) ?? -1;
        throw err;
      }
      throw new Error('no error raised');
    },
  };
}

export function anthropicClient(baseUrl: string, apiKey: string): SdkClient {
  const c = new Anthropic({ apiKey, baseURL: baseUrl, maxRetries: 0 });
  const textOf = (m: Anthropic.Message): string =>
    m.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
  return {
    name: 'anthropic',
    async text(model, prompt) {
      return textOf(
        await c.messages.create({ model, max_tokens: 256, messages: [{ role: 'user', content: prompt }] }),
      );
    },
    async stream(model, prompt, onPiece) {
      let text = '';
      const s = await c.messages.create({
        model,
        max_tokens: 256,
        stream: true,
        messages: [{ role: 'user', content: prompt }],
      });
      for await (const ev of s) {
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') {
          onPiece?.(now());
          text += ev.delta.text;
        }
      }
      return text;
    },
    async toolLoop(model, result) {
      const tools: Anthropic.Tool[] = [
        { name: 'get_weather', input_schema: WEATHER_SCHEMA as Anthropic.Tool.InputSchema },
      ];
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const first = await c.messages.create({ model, max_tokens: 256, messages, tools });
      const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      messages.push(
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: result }] },
      );
      const second = await c.messages.create({ model, max_tokens: 256, messages, tools });
      return { text: textOf(second), name: use.name, args: use.input as Record<string, unknown> };
    },
    async errorStatus(model) {
      try {
        await c.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'x' }] });
      } catch (err) {
        if (err instanceof Anthropic.APIError) return (err.status as number | undefined) ?? -1;
        throw err;
      }
      throw new Error('no error raised');
    },
  };
}

export function geminiClient(baseUrl: string, apiKey: string): SdkClient {
  const c = new GoogleGenAI({ apiKey, httpOptions: { baseUrl, apiVersion: 'v1beta' } });
  return {
    name: 'gemini',
    async text(model, prompt) {
      const r = await c.models.generateContent({ model, contents: prompt });
      return r.text ?? '';
    },
    async stream(model, prompt, onPiece) {
      let text = '';
      for await (const chunk of await c.models.generateContentStream({ model, contents: prompt })) {
        const piece = chunk.text ?? '';
        if (piece) onPiece?.(now());
        text += piece;
      }
      return text;
    },
    async toolLoop(model, result) {
      const config = {
        tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: WEATHER_SCHEMA }] }],
      };
      const contents: Content[] = [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }];
      const first = await c.models.generateContent({ model, contents, config });
      const call = first.functionCalls![0]!;
      contents.push(first.candidates![0]!.content!, {
        role: 'user',
        parts: [
          {
            functionResponse: { name: call.name!, ...(call.id ? { id: call.id } : {}), response: { result } },
          },
        ],
      });
      const second = await c.models.generateContent({ model, contents, config });
      return { text: second.text ?? '', name: call.name!, args: call.args ?? {} };
    },
    async errorStatus(model) {
      try {
        await c.models.generateContent({ model, contents: 'x' });
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (typeof status === 'number') return status;
        throw err;
      }
      throw new Error('no error raised');
    },
  };
}
