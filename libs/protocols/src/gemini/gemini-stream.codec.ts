import type { DecodeResponseOptions, EncodeStreamOptions, StreamDecoder, StreamEncoder } from '../ir/codec';
import type { IrStreamEvent } from '../ir/stream';
import type { IrStopReason, IrUsage } from '../ir/response';
import type { SseEvent } from '../sse/sse-event';
import { arr, isObj, newId, num, objOrEmpty, parseArguments, str, type Obj } from '../common/json';
import { errorFromGemini, geminiErrorBody } from '../errors/error-shapes';
import { IR_TO_GEMINI_STOP } from '../mapping/stop-reasons';
import { usageFromGemini, usageToGemini } from '../mapping/usage';
import { BlockSequencer } from '../stream/block-sequencer';
import { decodeGeminiOutputPart, geminiStop } from './gemini-response.codec';
import { isGeminiIssuedId } from './gemini-request.codec';

/**
 * Gemini SSE (`data:` chunks of GenerateContentResponse) → IR. Text and thought parts continue the open block of
 * their kind; a functionCall arrives whole and becomes a complete tool-call block (start, one arguments delta,
 * stop). The message ends on the chunk that carries `finishReason` (usage from the last `usageMetadata` seen).
 */
export class GeminiStreamDecoder implements StreamDecoder {
  private readonly seq = new BlockSequencer();
  private started = false;
  private finished = false;
  private model = '';
  private usage: IrUsage | undefined;
  private sawToolCall = false;
  private pendingStop: IrStopReason | undefined;

  constructor(private readonly opts: DecodeResponseOptions = {}) {}

  push(ev: SseEvent): IrStreamEvent[] {
    if (this.finished) return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(ev.data);
    } catch {
      return [];
    }
    if (Array.isArray(chunk)) chunk = chunk[0]; // non-SSE streaming returns a JSON array
    if (!isObj(chunk)) return [];
    const out: IrStreamEvent[] = [];
    if (isObj(chunk.error)) {
      this.finished = true;
      const status = num(chunk.error.code) ?? 500;
      out.push(...this.seq.close(), { type: 'error', error: errorFromGemini(status, chunk) });
      return out;
    }
    if (!this.started) {
      this.started = true;
      this.model = str(chunk.modelVersion) ?? this.opts.model ?? '';
      out.push({ type: 'message_start', id: str(chunk.responseId) ?? newId('gen-'), model: this.model });
    }
    if (isObj(chunk.usageMetadata)) this.usage = usageFromGemini(chunk.usageMetadata);
    const cand = objOrEmpty(arr(chunk.candidates)[0]);
    for (const p of arr(objOrEmpty(cand.content).parts)) {
      if (!isObj(p)) continue;
      const part = decodeGeminiOutputPart(p, this.model, this.opts);
      if (!part) continue;
      switch (part.type) {
        case 'text':
          if (part.text !== '')
            out.push(...this.seq.delta({ type: 'text' }, { type: 'text', text: part.text }));
          break;
        case 'thinking':
          if (part.text !== '')
            out.push(
              ...this.seq.delta(
                { type: 'thinking', origin: { provider: 'gemini', model: this.model } },
                { type: 'thinking', text: part.text },
              ),
            );
          if (part.signature) {
            if (this.seq.current?.type !== 'thinking')
              out.push(
                ...this.seq.open({ type: 'thinking', origin: { provider: 'gemini', model: this.model } })
                  .events,
              );
            const idx = this.seq.current?.index ?? 0;
            out.push({
              type: 'block_delta',
              index: idx,
              delta: { type: 'signature', signature: part.signature },
            });
          }
          break;
        case 'tool_call': {
          this.sawToolCall = true;
          const { index, events } = this.seq.open({
            type: 'tool_call',
            id: part.id,
            name: part.name,
            ...(part.origin ? { origin: part.origin } : {}),
            ...(part.signature ? { signature: part.signature } : {}),
          });
          out.push(
            ...events,
            { type: 'block_delta', index, delta: { type: 'arguments', json: part.arguments } },
            ...this.seq.close(),
          );
          break;
        }
        case 'custom_tool_call': {
          this.sawToolCall = true;
          const { index, events } = this.seq.open({
            type: 'custom_tool_call',
            id: part.id,
            name: part.name,
            ...(part.origin ? { origin: part.origin } : {}),
          });
          out.push(
            ...events,
            { type: 'block_delta', index, delta: { type: 'custom_input', text: part.input } },
            ...this.seq.close(),
          );
          break;
        }
        case 'redacted_thinking':
          break;
      }
    }
    const stop = geminiStop(chunk);
    if (stop) {
      out.push(...this.seq.close());
      this.pendingStop = stop;
    }
    // Usage may come with the finishing chunk or in one after it: finish once both are known (or at the end).
    if (this.pendingStop && (isObj(chunk.usageMetadata) || this.usage !== undefined))
      out.push(...this.finish(this.pendingStop));
    return out;
  }

  private finish(stop: IrStopReason): IrStreamEvent[] {
    this.finished = true;
    const s =
      this.sawToolCall && (stop.kind === 'end_turn' || stop.kind === 'other')
        ? { ...stop, kind: 'tool_use' as const }
        : stop;
    return [
      ...this.seq.close(),
      { type: 'message_delta', stopReason: s, ...(this.usage ? { usage: this.usage } : {}) },
      { type: 'message_stop' },
    ];
  }

  end(): IrStreamEvent[] {
    if (this.finished || !this.started) return [];
    return this.finish(this.pendingStop ?? { kind: 'end_turn' });
  }
}

interface PendingCall {
  name: string;
  id: string;
  args: string;
  custom: boolean;
  signature?: string;
  geminiId: boolean;
}

/**
 * IR → Gemini SSE: `data:` frames only (no `event:` line, no `[DONE]`). Text and thoughts go out as they arrive;
 * tool calls are assembled from their argument fragments and sent whole when their block closes, as Gemini
 * clients expect; the last frame carries `finishReason` and `usageMetadata`.
 */
export class GeminiStreamEncoder implements StreamEncoder {
  private id = newId('gen-');
  private model: string;
  private done = false;
  private stop: IrStopReason | undefined;
  private usage: IrUsage | undefined;
  private sawToolCall = false;
  private readonly calls = new Map<number, PendingCall>();
  private readonly thinkingOrigin = new Map<number, string | undefined>();

  constructor(opts: EncodeStreamOptions = {}) {
    this.model = opts.model ?? '';
  }

  private frame(parts: Obj[], extra: Obj = {}): SseEvent {
    return {
      data: JSON.stringify({
        candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }],
        ...(extra.finishReason !== undefined && this.usage
          ? { usageMetadata: usageToGemini(this.usage) }
          : {}),
        modelVersion: this.model,
        responseId: this.id,
      }),
    };
  }

  push(ev: IrStreamEvent): SseEvent[] {
    if (this.done) return [];
    switch (ev.type) {
      case 'message_start':
        this.id = ev.id;
        if (this.model === '') this.model = ev.model;
        return [];
      case 'block_start': {
        const b = ev.block;
        if (b.type === 'tool_call' || b.type === 'custom_tool_call') {
          this.sawToolCall = true;
          const call: PendingCall = {
            name: b.name,
            id: b.id,
            args: '',
            custom: b.type === 'custom_tool_call',
            geminiId: isGeminiIssuedId(b.id, b.origin),
          };
          if (b.type === 'tool_call' && b.signature && b.origin?.provider === 'gemini')
            call.signature = b.signature;
          this.calls.set(ev.index, call);
        } else if (b.type === 'thinking') this.thinkingOrigin.set(ev.index, b.origin?.provider);
        return [];
      }
      case 'block_delta': {
        const d = ev.delta;
        switch (d.type) {
          case 'text':
            return d.text === '' ? [] : [this.frame([{ text: d.text }])];
          case 'thinking':
            return d.text === '' ? [] : [this.frame([{ text: d.text, thought: true }])];
          case 'signature':
            return this.thinkingOrigin.get(ev.index) === 'gemini'
              ? [this.frame([{ text: '', thought: true, thoughtSignature: d.signature }])]
              : [];
          case 'arguments':
          case 'custom_input': {
            const call = this.calls.get(ev.index);
            if (call) call.args += d.type === 'arguments' ? d.json : d.text;
            return [];
          }
        }
        return [];
      }
      case 'block_stop': {
        const call = this.calls.get(ev.index);
        if (!call) return [];
        this.calls.delete(ev.index);
        const fc: Obj = {
          name: call.name,
          args: call.custom ? { input: call.args } : parseArguments(call.args),
        };
        if (call.geminiId) fc.id = call.id;
        const part: Obj = { functionCall: fc };
        if (call.signature) part.thoughtSignature = call.signature;
        return [this.frame([part])];
      }
      case 'message_delta':
        if (ev.stopReason) this.stop = ev.stopReason;
        if (ev.usage) this.usage = ev.usage;
        return [];
      case 'message_stop':
        return this.finish();
      case 'error':
        this.done = true;
        return [{ data: JSON.stringify(geminiErrorBody(ev.error)) }];
    }
  }

  private finish(): SseEvent[] {
    if (this.done) return [];
    const out: SseEvent[] = [];
    // Calls whose block never closed are still delivered.
    for (const idx of [...this.calls.keys()]) out.push(...this.push({ type: 'block_stop', index: idx }));
    this.done = true;
    let kind = this.stop?.kind ?? 'end_turn';
    if (this.sawToolCall && (kind === 'end_turn' || kind === 'other')) kind = 'tool_use';
    out.push(this.frame([{ text: '' }], { finishReason: IR_TO_GEMINI_STOP[kind] }));
    return out;
  }

  end(): SseEvent[] {
    return this.finish();
  }
}
