import type { IrReasoningEffort } from '../ir/request';

/**
 * Effort → thinking budget (tokens). Google's own mapping for its OpenAI-compatible endpoint is low≈1K,
 * medium≈8K, high≈24K; the other rows extend it. The numbers are a heuristic, not a vendor standard.
 */
export const EFFORT_TO_BUDGET: Readonly<Record<IrReasoningEffort, number>> = {
  none: 0,
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
  max: 65536,
};

/** Budget → effort: 0 → none, < 4096 → low, < 16384 → medium, else high. */
export const budgetToEffort = (budget: number): IrReasoningEffort => {
  if (budget <= 0) return 'none';
  if (budget < 4096) return 'low';
  if (budget < 16384) return 'medium';
  return 'high';
};

/** OpenAI Chat `reasoning_effort`: the values every reasoning model accepts (xhigh/max are model-specific). */
export const toOpenAiEffort = (e: IrReasoningEffort): 'none' | 'minimal' | 'low' | 'medium' | 'high' => {
  switch (e) {
    case 'xhigh':
    case 'max':
      return 'high';
    default:
      return e;
  }
};

/** Anthropic `output_config.effort` (low|medium|high|xhigh|max). */
export const toAnthropicEffort = (e: IrReasoningEffort): 'low' | 'medium' | 'high' | 'xhigh' | 'max' => {
  switch (e) {
    case 'none':
    case 'minimal':
    case 'low':
      return 'low';
    default:
      return e;
  }
};

/** Gemini 3 `thinkingLevel`. */
export const toGeminiLevel = (e: IrReasoningEffort): 'MINIMAL' | 'LOW' | 'MEDIUM' | 'HIGH' => {
  switch (e) {
    case 'none':
    case 'minimal':
      return 'MINIMAL';
    case 'low':
      return 'LOW';
    case 'medium':
      return 'MEDIUM';
    default:
      return 'HIGH';
  }
};

export const fromGeminiLevel = (level: string): IrReasoningEffort | undefined => {
  switch (level.toUpperCase()) {
    case 'MINIMAL':
      return 'minimal';
    case 'LOW':
      return 'low';
    case 'MEDIUM':
      return 'medium';
    case 'HIGH':
      return 'high';
    default:
      return undefined;
  }
};

const EFFORTS: readonly string[] = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'];
export const parseEffort = (v: unknown): IrReasoningEffort | undefined =>
  typeof v === 'string' && EFFORTS.includes(v) ? (v as IrReasoningEffort) : undefined;
