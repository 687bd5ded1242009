/** One Server-Sent Event. `event` is absent for data-only streams (OpenAI Chat, Gemini). */
export interface SseEvent {
  event?: string;
  data: string;
  id?: string;
  retry?: number;
}
