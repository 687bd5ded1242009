// Public API of the prompt firewall core: pure TypeScript, no Nest. The gateway extracts the text segments
// of a request, scans them, decides under the team's policy, redacts, and restores the response stream.
export type { DetectorAction, DetectorCheck, DetectorInfo, DetectorKind, Finding } from './types';
export { listDetectors, detectorInfo } from './detectors/registry';
export { Scanner, scan, type ScannerOptions } from './scanner';
export { StreamScanner, type StreamScannerOptions } from './stream-scanner';
export {
  redact,
  redactSegments,
  placeholderFor,
  jsonEscape,
  Restorer,
  type RedactOptions,
  type RedactionResult,
  type RestorerOptions,
} from './redaction';
export {
  decide,
  mergePolicies,
  blockMessage,
  type FirewallMode,
  type FirewallPolicy,
  type Decision,
  type FindingSummary,
  type FindingLocation,
  type AppliedAction,
} from './policy';
export {
  HttpAnalyzerClient,
  codePointToUtf16,
  type HttpAnalyzerOptions,
  type AnalyzeRequest,
  type AnalyzeResult,
  type AnalyzerOnError,
  type BreakerState,
} from './analyzer-client';
export * as validators from './validators/checksums';
import type { FirewallMode } from './policy';

/** Parses `SLUICE_FIREWALL_MODE`-style values; unknown or empty values give `fallback`. */
export function parseFirewallMode(
  value: string | undefined,
  fallback: FirewallMode = 'monitor',
): FirewallMode {
  const v = value?.trim().toLowerCase();
  return v === 'off' || v === 'monitor' || v === 'enforce' || v === 'redact' ? v : fallback;
}
