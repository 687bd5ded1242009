import type { StreamDecoder, StreamEncoder } from '../ir/codec';
import type { IrStopReason, IrUsage } from '../ir/response';
import type { IrError } from '../ir/error';
import type { IrStreamEvent } from '../ir/stream';
import type { SseEvent } from '../sse/sse-event';
import { SseParser } from '../sse/sse-parser';
import { serializeSse } from '../sse/sse-serializer';

/**
 * One upstream stream translated into the client's protocol, event by event: raw upstream bytes (or parsed SSE
 * events) in, client SSE text (or events) out, as soon as each upstream event arrives. Nothing is collected.
 * It also remembers what metering needs (final usage, stop reason, error).
 */
export class StreamTranslator {
  private readonly parser = new SseParser();
  private lastUsage: IrUsage | undefined;
  private lastStop: IrStopReason | undefined;
  private lastError: IrError | undefined;
  private ended = false;

  constructor(
    private readonly decoder: StreamDecoder,
    private readonly encoder: StreamEncoder,
    /** Sees every IR event (firewall, duplicate tool-call guard, logging). */
    private readonly onIrEvent?: (ev: IrStreamEvent) => void,
  ) {}

  /** Raw upstream chunk → client SSE text ('' when nothing is complete yet). */
  push(chunk: string | Uint8Array): string {
    return serializeSse(this.parser.push(chunk).flatMap((ev) => this.pushEvent(ev)));
  }

  /** One upstream SSE event → client SSE events. */
  pushEvent(ev: SseEvent): SseEvent[] {
    if (this.ended) return [];
    return this.encode(this.decoder.push(ev));
  }

  /** Upstream closed: flushes the parser, the decoder and the encoder (closing events, `[DONE]` …). */
  end(): string {
    return serializeSse(this.endEvents());
  }

  endEvents(): SseEvent[] {
    if (this.ended) return [];
    const out = this.parser.end().flatMap((ev) => this.pushEvent(ev));
    this.ended = true;
    out.push(...this.encode(this.decoder.end()), ...this.encoder.end());
    return out;
  }

  private encode(events: IrStreamEvent[]): SseEvent[] {
    const out: SseEvent[] = [];
    for (const ev of events) {
      if (ev.type === 'message_start' && ev.usage) this.lastUsage = ev.usage;
      if (ev.type === 'message_delta') {
        if (ev.usage) this.lastUsage = ev.usage;
        if (ev.stopReason) this.lastStop = ev.stopReason;
      }
      if (ev.type === 'error') this.lastError = ev.error;
      this.onIrEvent?.(ev);
      out.push(...this.encoder.push(ev));
    }
    return out;
  }

  /** The upstream's final usage (normalised, with the raw object), once known. */
  get usage(): IrUsage | undefined {
    return this.lastUsage;
  }

  get stopReason(): IrStopReason | undefined {
    return this.lastStop;
  }

  get error(): IrError | undefined {
    return this.lastError;
  }
}
