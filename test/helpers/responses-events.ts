import type OpenAI from 'openai';

/** The event types of a Responses stream, runs of the same delta type folded into one entry. */
export function eventShape(events: readonly { type: string }[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type.endsWith('.delta') && out.at(-1) === e.type) continue;
    out.push(e.type);
  }
  return out;
}

/** What OpenAI sends for one text message. */
export const TEXT_SEQUENCE = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.content_part.added',
  'response.output_text.delta',
  'response.output_text.done',
  'response.content_part.done',
  'response.output_item.done',
  'response.completed',
];

/** What OpenAI sends for one function call. */
export const FUNCTION_CALL_SEQUENCE = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.function_call_arguments.delta',
  'response.function_call_arguments.done',
  'response.output_item.done',
  'response.completed',
];

/** What OpenAI sends for one freeform (custom) tool call. */
export const CUSTOM_CALL_SEQUENCE = [
  'response.created',
  'response.in_progress',
  'response.output_item.added',
  'response.custom_tool_call_input.delta',
  'response.custom_tool_call_input.done',
  'response.output_item.done',
  'response.completed',
];

export const WEATHER_TOOL: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather of a city',
  strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** Streams a request with the SDK; returns every event and the final response object. */
export async function streamAll(
  client: OpenAI,
  params: Omit<OpenAI.Responses.ResponseCreateParamsStreaming, 'stream'>,
): Promise<{ events: OpenAI.Responses.ResponseStreamEvent[]; final: OpenAI.Responses.Response }> {
  const stream = client.responses.stream({ ...params, stream: true });
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const ev of stream) events.push(ev);
  return { events, final: await stream.finalResponse() };
}
