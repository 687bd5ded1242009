import type { Scanner } from './scanner';
import type { Finding } from './types';

export interface StreamScannerOptions {
  /** New characters gathered before a rescan (default 16 KiB): bounds the rescanning overhead. */
  readonly windowChars?: number;
  /**
   * Characters re-examined before the new text on each scan, and held back from reporting at its end
   * (default 64 KiB, above the longest PEM block or token the detectors accept), so a value that
   * straddles two scans is still seen whole.
   */
  readonly marginChars?: number;
}

/**
 * Scans a streamed answer as it arrives (the model may echo or invent a secret): `push` returns findings
 * that can no longer grow, `flush` the rest. Offsets are into the whole answer. Keeps the answer's text
 * for the duration of the stream only.
 */
export class StreamScanner {
  private text = '';
  /** Findings ending before this offset are final and reported. */
  private reportedTo = 0;
  private scannedTo = 0;
  /** Reported spans that the next scan region may overlap. */
  private reported: { start: number; end: number }[] = [];
  private readonly window: number;
  private readonly margin: number;

  constructor(
    private readonly scanner: Scanner,
    options: StreamScannerOptions = {},
  ) {
    this.window = options.windowChars ?? 16 * 1024;
    this.margin = options.marginChars ?? 64 * 1024;
  }

  push(delta: string): Finding[] {
    this.text += delta;
    if (this.text.length - this.scannedTo < this.window) return [];
    return this.scanFrom(this.text.length - this.margin);
  }

  flush(): Finding[] {
    return this.scanFrom(this.text.length);
  }

  private scanFrom(finalBefore: number): Finding[] {
    // Restart at a line break (else a space) before the margin, so no value is cut in two at the start.
    let from = Math.max(0, this.reportedTo - this.margin);
    if (from > 0) {
      const nl = this.text.lastIndexOf('\n', from);
      const sp = this.text.lastIndexOf(' ', from);
      from = nl >= from - this.margin ? nl + 1 : sp >= 0 ? sp + 1 : 0;
    }
    const found = this.scanner.scan(this.text.slice(from));
    this.scannedTo = this.text.length;
    this.reported = this.reported.filter((r) => r.end > from);
    const out: Finding[] = [];
    for (const f of found) {
      const start = f.start + from;
      const end = f.end + from;
      // Not final yet: it touches the held-back tail and may still grow.
      if (end > finalBefore && finalBefore < this.text.length) continue;
      if (this.reported.some((r) => r.start < end && start < r.end)) continue;
      this.reported.push({ start, end });
      out.push({ ...f, start, end });
    }
    if (finalBefore > this.reportedTo) this.reportedTo = finalBefore;
    return out;
  }
}
