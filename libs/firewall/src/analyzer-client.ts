// Client of an external analyzer speaking the HTTP filter protocol of the Tokligence gateway (what its
// Presidio sidecar serves): for names, addresses and other entities that need NLP. Optional: the built-in
// detectors never depend on it.
import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'undici';
import type { Finding } from './types';

export type AnalyzerOnError = 'allow' | 'block';

export interface HttpAnalyzerOptions {
  /** Full URL, e.g. `http://127.0.0.1:7317/v1/filter/input`. */
  readonly endpoint: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Whole-call deadline (default 1000 ms). */
  readonly timeoutMs?: number;
  /** What the result says when the analyzer fails or the circuit is open. */
  readonly onError: AnalyzerOnError;
  /** Opens after `failureThreshold` consecutive failures (default 5), for `cooldownMs` (default 30 s). */
  readonly breaker?: { readonly failureThreshold?: number; readonly cooldownMs?: number };
  /** Fingerprint key of the findings (see ScannerOptions.fingerprintKey). */
  readonly fingerprintKey?: string | Buffer;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export interface AnalyzeRequest {
  readonly direction: 'input' | 'output';
  readonly text: string;
  readonly model?: string;
  readonly endpoint?: string;
  readonly userId?: string;
  readonly tenantId?: string;
  readonly sessionId?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export type AnalyzeResult =
  | {
      readonly status: 'ok';
      readonly block: boolean;
      readonly blockReason?: string;
      /** Entities as findings (`detectorId` = `external_<type>`), offsets converted to UTF-16. */
      readonly findings: readonly Finding[];
    }
  | {
      readonly status: 'error' | 'circuit_open';
      /** `true` when `onError` is `block`. */
      readonly block: boolean;
      readonly error: string;
      readonly findings: readonly Finding[];
    };

export type BreakerState = 'closed' | 'open' | 'half_open';

interface WireEntity {
  type?: unknown;
  start?: unknown;
  end?: unknown;
}

const SECRET_TYPES = new Set(['API_KEY', 'PASSWORD', 'SECRET', 'TOKEN', 'PRIVATE_KEY']);

/** Code-point offsets (what the Python sidecar reports) to UTF-16 offsets. */
export function codePointToUtf16(text: string, offsets: readonly number[]): number[] {
  const wanted = [...new Set(offsets)].sort((a, b) => a - b);
  const out = new Map<number, number>();
  let cp = 0;
  let i = 0;
  let w = 0;
  while (w < wanted.length) {
    const target = wanted[w] ?? 0;
    if (cp === target || i >= text.length) {
      out.set(target, Math.min(i, text.length));
      w++;
      continue;
    }
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    cp++;
  }
  return offsets.map((o) => out.get(o) ?? text.length);
}

export class HttpAnalyzerClient {
  private failures = 0;
  private openUntil = 0;
  private state: BreakerState = 'closed';
  private readonly key: Buffer;
  private readonly now: () => number;

  constructor(private readonly options: HttpAnalyzerOptions) {
    const key = options.fingerprintKey ?? randomBytes(32);
    this.key = typeof key === 'string' ? Buffer.from(key) : key;
    this.now = options.now ?? Date.now;
  }

  get breakerState(): BreakerState {
    if (this.state === 'open' && this.now() >= this.openUntil) return 'half_open';
    return this.state;
  }

  async analyze(req: AnalyzeRequest): Promise<AnalyzeResult> {
    const state = this.breakerState;
    if (state === 'open') return this.failed('circuit_open', 'analyzer circuit open');
    if (state === 'half_open') this.state = 'half_open';
    const body = {
      [req.direction]: req.text,
      model: req.model,
      endpoint: req.endpoint,
      user_id: req.userId,
      tenant_id: req.tenantId,
      session_id: req.sessionId,
      metadata: req.metadata ?? {},
    };
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.options.headers };
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    try {
      const res = await request(this.options.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 1000),
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300)
        throw new Error(`analyzer answered HTTP ${res.statusCode}`);
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('analyzer answered a non-object');
      const result = this.toResult(req.text, parsed as Record<string, unknown>);
      this.failures = 0;
      this.state = 'closed';
      return result;
    } catch (err) {
      this.recordFailure();
      return this.failed('error', err instanceof Error ? err.message : String(err));
    }
  }

  private recordFailure(): void {
    this.failures++;
    const threshold = this.options.breaker?.failureThreshold ?? 5;
    if (this.state === 'half_open' || this.failures >= threshold) {
      this.state = 'open';
      this.openUntil = this.now() + (this.options.breaker?.cooldownMs ?? 30_000);
    }
  }

  private failed(status: 'error' | 'circuit_open', error: string): AnalyzeResult {
    return { status, block: this.options.onError === 'block', error, findings: [] };
  }

  private toResult(text: string, r: Record<string, unknown>): AnalyzeResult {
    const entities = Array.isArray(r['entities']) ? (r['entities'] as WireEntity[]) : [];
    const valid = entities.filter(
      (e) =>
        typeof e.type === 'string' &&
        typeof e.start === 'number' &&
        typeof e.end === 'number' &&
        e.end > e.start,
    ) as { type: string; start: number; end: number }[];
    const offsets = codePointToUtf16(
      text,
      valid.flatMap((e) => [e.start, e.end]),
    );
    const findings: Finding[] = valid.map((e, i) => {
      const start = offsets[2 * i] ?? 0;
      const end = offsets[2 * i + 1] ?? 0;
      const type = e.type.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
      return {
        detectorId: `external_${type.toLowerCase()}`,
        kind: SECRET_TYPES.has(type) ? 'secret' : 'pii',
        label: type,
        start,
        end,
        fingerprint: createHmac('sha256', this.key).update(text.slice(start, end)).digest('hex').slice(0, 16),
      };
    });
    const block = r['block'] === true || r['allowed'] === false;
    const reason = typeof r['block_reason'] === 'string' ? r['block_reason'] : undefined;
    return reason === undefined
      ? { status: 'ok', block, findings }
      : { status: 'ok', block, blockReason: reason, findings };
  }
}
