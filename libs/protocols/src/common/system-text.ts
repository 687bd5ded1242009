/**
 * How a system/developer message from the middle of a conversation travels to a protocol that only has a top-level
 * system prompt (Anthropic without the per-turn beta, Gemini): as user text in place, marked so the model can tell
 * it from the user's words.
 */
export const wrapMidConversationSystem = (text: string): string => `<system>\n${text}\n</system>`;
