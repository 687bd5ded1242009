import type { DetectorAction, DetectorCheck, DetectorInfo, DetectorKind, Match } from '../types';

/**
 * How the scanner reaches a detector. The scanner never runs a detector's pattern over the whole text:
 * it finds trigger positions in one pass and runs the detector there, anchored (sticky regexes).
 * - `prefix`: at a token start (previous char not [A-Za-z0-9_]) where one of the literal prefixes begins;
 * - `literal`: at every occurrence of a literal anywhere (found with indexOf), e.g. `@`, `://`;
 * - `digit`: at a token start on a digit, or on `+`/`(` followed by a digit;
 * - `upper`: at a token start on an upper-case letter;
 * - `hex`: at a token start on a hex digit followed by a `:` within five characters (IPv6);
 * - `assignment`: on `key = value` / `"key": "value"` where the key names a secret (the scanner parses
 *   the pair once and asks each assignment detector whether it accepts it);
 * - `pairing`: after the pass, with the other matches (AWS secret next to an AWS key id).
 */
export type Trigger =
  | { readonly type: 'prefix'; readonly prefixes: readonly string[] }
  | { readonly type: 'literal'; readonly literal: string }
  | {
      readonly type: 'digit';
      /**
       * Also reached by number runs of fewer than 7 digits: `dotted` (a dot within the first four
       * characters, IPv4) or `base58` (`1`/`3` followed by 25+ alphanumerics, Bitcoin).
       */
      readonly fewDigits?: 'dotted' | 'base58';
    }
  | { readonly type: 'upper' }
  | { readonly type: 'hex' }
  | { readonly type: 'assignment' }
  | { readonly type: 'pairing' };

export interface Assignment {
  /** The key, lower-cased, with `_`, `-`, `.` and spaces removed (`awssecretaccesskey`). */
  readonly key: string;
  readonly value: string;
  readonly valueStart: number;
}

export interface ScanContext {
  /** Options that change what some detectors accept. */
  readonly includePrivateIps: boolean;
  readonly phoneRegions: readonly string[];
  /** Per-scan memo for detectors that search ahead (keeps every scan linear); cleared on each scan. */
  readonly memo: Map<string, number>;
}

export interface DetectorDef extends DetectorInfo {
  readonly triggers: readonly Trigger[];
  /**
   * Lower tiers win overlaps: 0 for checksummed or prefixed formats, 1 for structural PII, 2 for
   * context and entropy rules.
   */
  readonly tier: 0 | 1 | 2;
  /** For every trigger but `assignment` and `pairing`: the match anchored at `pos`, or null. */
  readonly find?: (text: string, pos: number, ctx: ScanContext) => Match | null;
  /** Digit-led formats: the fewest digits a value has (lets the scanner skip the detector early). */
  readonly minDigits?: number;
  readonly acceptAssignment?: (a: Assignment) => boolean;
  readonly pair?: (
    text: string,
    matches: readonly { detectorId: string; start: number; end: number }[],
  ) => Match[];
}

export interface DefBase {
  id: string;
  label?: string;
  kind?: DetectorKind;
  description: string;
  check: DetectorCheck;
  defaultAction?: DetectorAction;
}

export function labelOf(id: string): string {
  return id.toUpperCase();
}

/**
 * A detector anchored on literal prefixes whose whole value is matched by one sticky regex. `pattern`
 * must start with the prefix and end with its own boundary; `validate` gets the matched value.
 */
export function prefixed(
  base: DefBase & {
    prefixes: readonly string[];
    pattern: RegExp;
    validate?: (value: string) => boolean;
    /** Characters of the match, from its start, that are not part of the secret (`AccountKey=`). */
    skip?: number;
    tier?: 0 | 1 | 2;
  },
): DetectorDef {
  const re = new RegExp(base.pattern.source, 'y');
  const validate = base.validate;
  const skip = base.skip ?? 0;
  return {
    ...info(base),
    tier: base.tier ?? 0,
    triggers: [{ type: 'prefix', prefixes: base.prefixes }],
    find(text, pos) {
      re.lastIndex = pos;
      const m = re.exec(text);
      if (!m) return null;
      const value = m[0];
      if (validate && !validate(value)) return null;
      return { start: pos + skip, end: pos + value.length };
    },
  };
}

export function info(base: DefBase): DetectorInfo {
  return {
    id: base.id,
    kind: base.kind ?? 'secret',
    label: base.label ?? labelOf(base.id),
    defaultAction: base.defaultAction ?? 'redact',
    check: base.check,
    description: base.description,
  };
}
