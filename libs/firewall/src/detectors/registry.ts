import type { DetectorInfo } from '../types';
import type { DetectorDef } from './detector-def';
import { PII_DETECTORS } from './pii';
import { SECRET_DETECTORS } from './secrets';

export const ALL_DETECTORS: readonly DetectorDef[] = [...SECRET_DETECTORS, ...PII_DETECTORS];

/** Public description of every built-in detector (id, kind, label, default action, check). */
export function listDetectors(): DetectorInfo[] {
  return ALL_DETECTORS.map((d) => ({
    id: d.id,
    kind: d.kind,
    label: d.label,
    defaultAction: d.defaultAction,
    check: d.check,
    description: d.description,
  }));
}

export function detectorInfo(id: string): DetectorInfo | undefined {
  return listDetectors().find((d) => d.id === id);
}
