import { createHash, hash, type Hash } from 'node:crypto';

type Chunk = string | Uint8Array;

/**
 * SHA-256 of a response body fed as it is written. Most answers are written once (a JSON body in
 * one `end`): that chunk is kept by reference and hashed in one call at the end, which costs a
 * fraction of a streaming Hash object; a second chunk starts the streaming hash (SSE).
 * `hex()` does not finalise: writes may still come after a client hang-up recorded the event.
 */
export class ResponseDigest {
  private first: Chunk | null = null;
  private running: Hash | null = null;

  update(chunk: Chunk, encoding?: BufferEncoding): void {
    const c =
      typeof chunk === 'string' && encoding !== undefined && encoding !== 'utf8' && encoding !== 'utf-8'
        ? Buffer.from(chunk, encoding)
        : chunk;
    if (this.running !== null) {
      this.running.update(c);
      return;
    }
    if (this.first === null) {
      this.first = c;
      return;
    }
    this.running = createHash('sha256').update(this.first).update(c);
    this.first = null;
  }

  hex(): string {
    if (this.running !== null) return this.running.copy().digest('hex');
    return sha256Hex(this.first ?? '');
  }
}

/** Hex SHA-256 in one call (no Hash object): strings as UTF-8. */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}
