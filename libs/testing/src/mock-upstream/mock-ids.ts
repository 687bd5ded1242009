import { randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function base62(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += BASE62[byte % 62];
  return out;
}

function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

// Shapes copied from what each provider returns, so id-format assumptions in a gateway get exercised.
export const mockIds = {
  chatCompletion: (): string => `chatcmpl-${base62(29)}`,
  chatToolCall: (): string => `call_${base62(24)}`,
  response: (): string => `resp_${hex(50)}`,
  responseMessage: (): string => `msg_${hex(50)}`,
  responseFunctionCall: (): string => `fc_${hex(50)}`,
  responseCustomCall: (): string => `ctc_${hex(50)}`,
  responseReasoning: (): string => `rs_${hex(50)}`,
  anthropicMessage: (): string => `msg_01${base62(22)}`,
  anthropicToolUse: (): string => `toolu_01${base62(22)}`,
  anthropicRequest: (): string => `req_011C${base62(20)}`,
  openaiRequest: (): string => `req_${hex(32)}`,
  geminiResponse: (): string => base62(22),
  systemFingerprint: (): string => `fp_${hex(10)}`,
};
