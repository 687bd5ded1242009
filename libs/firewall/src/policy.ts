import { ALL_DETECTORS } from './detectors/registry';
import type { DetectorAction, DetectorKind, Finding } from './types';

export type FirewallMode = 'off' | 'monitor' | 'enforce' | 'redact';

export interface FirewallPolicy {
  readonly mode: FirewallMode;
  /** Per-detector action overrides by detector id (others use the detector's default action). */
  readonly actions?: Readonly<Record<string, DetectorAction>>;
}

/** The action actually taken on a finding. */
export type AppliedAction = 'monitor' | 'redact' | 'block';

export interface FindingLocation {
  readonly segment?: number;
  readonly start: number;
  readonly end: number;
}

/** Per-detector summary for errors and audit events: counts, locations and fingerprints, never values. */
export interface FindingSummary {
  readonly detectorId: string;
  readonly kind: DetectorKind;
  readonly label: string;
  readonly action: AppliedAction;
  readonly count: number;
  readonly locations: readonly FindingLocation[];
  readonly fingerprints: readonly string[];
}

export type Decision =
  | { readonly outcome: 'allow'; readonly audit: readonly FindingSummary[] }
  | {
      readonly outcome: 'redact';
      readonly redact: readonly Finding[];
      readonly audit: readonly FindingSummary[];
    }
  | {
      readonly outcome: 'block';
      readonly blocked: readonly FindingSummary[];
      readonly audit: readonly FindingSummary[];
      /** Names the detector types and where they were found; carries no value. */
      readonly message: string;
    };

const DEFAULT_ACTIONS = new Map<string, DetectorAction>(ALL_DETECTORS.map((d) => [d.id, d.defaultAction]));

/** Merges a global policy with team and API-key overrides (later wins; action maps merge by id). */
export function mergePolicies(
  base: FirewallPolicy,
  ...overrides: readonly (Partial<FirewallPolicy> | undefined)[]
): FirewallPolicy {
  let mode = base.mode;
  let actions: Record<string, DetectorAction> = { ...base.actions };
  for (const o of overrides) {
    if (!o) continue;
    if (o.mode) mode = o.mode;
    if (o.actions) actions = { ...actions, ...o.actions };
  }
  return { mode, actions };
}

function applied(mode: FirewallMode, action: DetectorAction): AppliedAction | null {
  if (action === 'ignore' || mode === 'off') return null;
  if (mode === 'monitor' || action === 'monitor') return 'monitor';
  if (mode === 'enforce') return 'block';
  return action === 'block' ? 'block' : 'redact';
}

/**
 * Decides what happens to a request (or response) given its findings. Pure: the same findings and policy
 * always give the same decision. `segmentNames` (e.g. `messages[2].content`) make the block message precise.
 */
export function decide(
  findings: readonly Finding[],
  policy: FirewallPolicy,
  segmentNames?: readonly string[],
): Decision {
  if (policy.mode === 'off') return { outcome: 'allow', audit: [] };
  const groups = new Map<string, { f: Finding[]; action: AppliedAction }>();
  const toRedact: Finding[] = [];
  for (const f of findings) {
    const action = applied(
      policy.mode,
      policy.actions?.[f.detectorId] ?? DEFAULT_ACTIONS.get(f.detectorId) ?? 'redact',
    );
    if (!action) continue;
    if (action === 'redact') toRedact.push(f);
    const key = `${f.detectorId}\u0000${action}`;
    const g = groups.get(key) ?? { f: [], action };
    g.f.push(f);
    groups.set(key, g);
  }
  const audit: FindingSummary[] = [...groups.values()].map(({ f, action }) => {
    const first = f[0] as Finding;
    return {
      detectorId: first.detectorId,
      kind: first.kind,
      label: first.label,
      action,
      count: f.length,
      locations: f.map((x) =>
        x.segment === undefined
          ? { start: x.start, end: x.end }
          : { segment: x.segment, start: x.start, end: x.end },
      ),
      fingerprints: [...new Set(f.map((x) => x.fingerprint))],
    };
  });
  const blocked = audit.filter((s) => s.action === 'block');
  if (blocked.length > 0)
    return { outcome: 'block', blocked, audit, message: blockMessage(blocked, segmentNames) };
  if (toRedact.length > 0) return { outcome: 'redact', redact: toRedact, audit };
  return { outcome: 'allow', audit };
}

/** "Request blocked by the prompt firewall: github_token in messages[1].content [12, 52); …" */
export function blockMessage(blocked: readonly FindingSummary[], segmentNames?: readonly string[]): string {
  const parts = blocked.map((s) => {
    const where = s.locations
      .slice(0, 5)
      .map((l) => {
        const seg = l.segment === undefined ? '' : `${segmentNames?.[l.segment] ?? `segment ${l.segment}`} `;
        return `${seg}[${l.start}, ${l.end})`;
      })
      .join(', ');
    const more = s.locations.length > 5 ? ` and ${s.locations.length - 5} more` : '';
    return `${s.detectorId} (${s.kind}) x${s.count} at ${where}${more}`;
  });
  return `Request blocked by the prompt firewall: ${parts.join('; ')}`;
}
