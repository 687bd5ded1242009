import type { StreamDecoder } from '../ir/codec';
import type { IrError } from '../ir/error';
import type { IrStopReason, IrUsage } from '../ir/response';
import type { IrStreamEvent } from '../ir/stream';
import { SseParser } from '../sse/sse-parser';

/**
 * Reads a stream that is passed through untouched (client and upstream speak the same protocol): the bytes go to
 * the client as they are, a copy goes through `push` so metering learns the upstream's usage and stop reason.
 */
export class StreamUsageTap {
  private readonly parser = new SseParser();
  private lastUsage: IrUsage | undefined;
  private lastStop: IrStopReason | undefined;
  private lastError: IrError | undefined;
  private ended = false;

  constructor(
    private readonly decoder: StreamDecoder,
    private readonly onIrEvent?: (ev: IrStreamEvent) => void,
  ) {}

  push(chunk: string | Uint8Array): void {
    for (const ev of this.parser.push(chunk)) this.observe(this.decoder.push(ev));
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const ev of this.parser.end()) this.observe(this.decoder.push(ev));
    this.observe(this.decoder.end());
  }

  private observe(events: IrStreamEvent[]): void {
    for (const ev of events) {
      if (ev.type === 'message_start' && ev.usage) this.lastUsage = ev.usage;
      if (ev.type === 'message_delta') {
        if (ev.usage) this.lastUsage = ev.usage;
        if (ev.stopReason) this.lastStop = ev.stopReason;
      }
      if (ev.type === 'error') this.lastError = ev.error;
      this.onIrEvent?.(ev);
    }
  }

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
