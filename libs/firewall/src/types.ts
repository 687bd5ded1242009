export type DetectorKind = 'secret' | 'pii';

/**
 * What a detector's findings lead to, under the global mode:
 * - `redact`: redacted in `redact` mode, blocks in `enforce` mode (the default for every detector);
 * - `block`: blocks in both `enforce` and `redact` modes (for values that must never leave, even masked);
 * - `monitor`: recorded only;
 * - `ignore`: dropped before the decision.
 */
export type DetectorAction = 'redact' | 'block' | 'monitor' | 'ignore';

/** The offline check a detector performs beyond its shape (documented per detector). */
export type DetectorCheck = 'checksum' | 'structure' | 'context' | 'entropy' | 'shape';

export interface DetectorInfo {
  /** Stable id, snake_case (`github_token`, `aws_secret_key`, `email`). */
  readonly id: string;
  readonly kind: DetectorKind;
  /** Upper-case placeholder label (`AWS_SECRET_KEY`). */
  readonly label: string;
  readonly defaultAction: DetectorAction;
  readonly check: DetectorCheck;
  /** One line: the shape and the check, for docs and error messages. */
  readonly description: string;
}

/**
 * One detected value. Never carries the value itself: `fingerprint` is a keyed hash (HMAC-SHA256 under
 * the scanner's fingerprint key, 16 hex digits) so events can correlate repeats without exposing it.
 * Offsets are UTF-16 code-unit indices into the scanned text, `end` exclusive.
 */
export interface Finding {
  readonly detectorId: string;
  readonly kind: DetectorKind;
  readonly label: string;
  readonly start: number;
  readonly end: number;
  readonly fingerprint: string;
  /** Index of the segment in `scanSegments`; absent for a plain `scan`. */
  readonly segment?: number;
}

/** A raw match produced by a detector before fingerprinting. */
export interface Match {
  readonly start: number;
  readonly end: number;
}
