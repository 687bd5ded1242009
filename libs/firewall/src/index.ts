// Public API of the prompt firewall core: pure TypeScript, no Nest.
export type { DetectorAction, DetectorCheck, DetectorInfo, DetectorKind, Finding } from './types';
export { listDetectors, detectorInfo } from './detectors/registry';
export { Scanner, scan, type ScannerOptions } from './scanner';
export * as validators from './validators/checksums';
