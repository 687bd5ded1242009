import type { SseEvent } from './sse-event';

/**
 * One SSE frame. Multi-line data is split over several `data:` lines so a newline inside the payload can never end
 * the event early. JSON payloads from `JSON.stringify` have no raw newlines, so they stay on one line.
 */
export const serializeSseEvent = (ev: SseEvent): string => {
  let out = '';
  if (ev.event !== undefined) out += `event: ${ev.event}\n`;
  if (ev.id !== undefined) out += `id: ${ev.id}\n`;
  if (ev.retry !== undefined) out += `retry: ${ev.retry}\n`;
  const data = ev.data;
  // JSON from JSON.stringify (nearly every event) has no line break: one line, no split.
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) out += `data: ${data}\n`;
  else for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
};

export const serializeSse = (events: readonly SseEvent[]): string => events.map(serializeSseEvent).join('');

/** A comment frame: keeps idle connections open without being an event. */
export const sseComment = (text = ''): string => `: ${text}\n\n`;

/** A JSON SSE event, with an `event:` line when `name` is given (Anthropic, Responses). */
export const jsonEvent = (data: unknown, name?: string): SseEvent =>
  name === undefined ? { data: JSON.stringify(data) } : { event: name, data: JSON.stringify(data) };
