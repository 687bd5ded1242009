import { Inject, Injectable } from '@nestjs/common';
import type { GatewayRequest } from '../common/exchange';
import { createHmac } from 'node:crypto';
import type { UsageRecordedV1 } from '@sluice/events';
import {
  decide,
  HttpAnalyzerClient,
  mergePolicies,
  redactSegments,
  Scanner,
  type Finding,
  type FindingSummary,
  type FirewallPolicy,
} from '@sluice/firewall';
import type { IrRequest } from '@sluice/protocols';
import { GatewayError } from '../common/gateway-error';
import { GATEWAY_RUNTIME, type GatewayRuntime } from '../gateway.runtime';
import { requestSegments } from './ir-segments';

type AuditEntry = UsageRecordedV1['firewall'][number];

/**
 * The prompt firewall in the request path: scans the decoded request (every endpoint, every
 * protocol), then, by mode, records (monitor), refuses (enforce) or replaces each finding with a
 * placeholder (redact) before the request leaves. Findings go into the request's usage event as
 * detector, kind, count, location and action: never a value.
 */
@Injectable()
export class FirewallService {
  private readonly scanner: Scanner;
  private readonly policy: FirewallPolicy;
  private readonly secret: string;
  private readonly analyzer: HttpAnalyzerClient | null;

  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {
    const cfg = rt.config.firewall;
    // One stable key per deployment so placeholders and fingerprints agree across instances.
    this.secret = cfg.key ?? createHmac('sha256', rt.masterKey).update('sluice-firewall-v1').digest('hex');
    this.scanner = new Scanner({ fingerprintKey: this.secret });
    this.policy = { mode: cfg.mode, actions: cfg.actions };
    this.analyzer = cfg.analyzer
      ? new HttpAnalyzerClient({
          endpoint: cfg.analyzer.url,
          timeoutMs: cfg.analyzer.timeoutMs,
          onError: cfg.analyzer.onError,
          fingerprintKey: this.secret,
          ...(cfg.analyzer.token ? { token: cfg.analyzer.token } : {}),
        })
      : null;
  }

  /** Whether this caller's requests are inspected at all (its merged policy is not `off`). */
  enabledFor(req: GatewayRequest): boolean {
    return this.policyFor(req).mode !== 'off';
  }

  /** Global policy, then the team's override, then the key's. */
  policyFor(req: GatewayRequest): FirewallPolicy {
    const overrides = req.sluice.principal?.firewall;
    return overrides
      ? mergePolicies(this.policy, overrides.team ?? undefined, overrides.key ?? undefined)
      : this.policy;
  }

  /**
   * Inspects a request and applies the decision to it in place. Returns the placeholder mapping
   * when something was redacted (the caller restores the answer with it), null otherwise; throws a
   * 403 naming the detectors and where they were found when the policy blocks.
   */
  async inspectRequest(ir: IrRequest, req: GatewayRequest): Promise<Map<string, string> | null> {
    const policy = this.policyFor(req);
    if (policy.mode === 'off') return null;
    const seg = requestSegments(ir);
    if (seg.segments.length === 0) return null;
    const findings = this.scanner.scanSegments(seg.segments);
    if (this.analyzer) findings.push(...(await this.analyze(seg.segments, findings, req)));
    findings.sort((a, b) => (a.segment ?? 0) - (b.segment ?? 0) || a.start - b.start);
    const decision = decide(findings, policy, seg.names);
    this.audit(req, decision.audit, 'request');
    switch (decision.outcome) {
      case 'allow':
        return null;
      case 'block':
        throw new GatewayError(403, 'firewall_blocked', decision.message);
      case 'redact': {
        // The team's own key: the same value gets the same placeholder in every turn of a
        // conversation, so the model sees consistent names; another team's placeholders differ.
        const teamKey = createHmac('sha256', this.secret)
          .update(`team:${req.sluice.principal?.teamId ?? ''}`)
          .digest();
        const { segments, mapping } = redactSegments(seg.segments, decision.redact, { key: teamKey });
        seg.writeBack(segments);
        return mapping;
      }
    }
  }

  /**
   * The external analyzer (names, addresses: what needs NLP) over the request's text, joined; its
   * findings are mapped back to segments, and dropped where a local detector already found
   * something. On its failure the configured policy applies: allow (local findings only) or block.
   */
  private async analyze(
    segments: readonly string[],
    local: readonly Finding[],
    req: GatewayRequest,
  ): Promise<Finding[]> {
    const SEP = '\n\n';
    const starts: number[] = [];
    let at = 0;
    for (const s of segments) {
      starts.push(at);
      at += s.length + SEP.length;
    }
    const result = await this.analyzer!.analyze({
      direction: 'input',
      text: segments.join(SEP),
      ...(req.sluice.modelRequested ? { model: req.sluice.modelRequested } : {}),
      ...(req.sluice.endpoint ? { endpoint: req.sluice.endpoint } : {}),
      ...(req.sluice.principal ? { tenantId: req.sluice.principal.teamId } : {}),
    });
    if (result.status !== 'ok') {
      this.rt.logger.warn({ requestId: req.id, status: result.status }, 'firewall analyzer unavailable');
      if (result.block)
        throw new GatewayError(
          503,
          'overloaded',
          'The prompt firewall analyzer is unavailable and the policy blocks on error; retry shortly.',
        );
      return [];
    }
    if (result.block)
      throw new GatewayError(
        403,
        'firewall_blocked',
        `Request blocked by the prompt firewall analyzer${result.blockReason ? `: ${result.blockReason}` : ''}.`,
      );
    const out: Finding[] = [];
    for (const f of result.findings) {
      let segment = starts.length - 1;
      while (segment > 0 && starts[segment]! > f.start) segment--;
      const start = f.start - starts[segment]!;
      const end = f.end - starts[segment]!;
      if (end > segments[segment]!.length) continue;
      const overlaps = local.some((l) => l.segment === segment && l.start < end && start < l.end);
      if (!overlaps) out.push({ ...f, start, end, segment });
    }
    return out;
  }

  /** Scans what the model answered (a secret it echoes or invents): recorded in the audit. */
  inspectResponse(text: string, req: GatewayRequest): void {
    const policy = this.policyFor(req);
    if (policy.mode === 'off' || text === '') return;
    const decision = decide(this.scanner.scan(text), monitorOnly(policy));
    this.audit(req, decision.audit, 'response');
  }

  private audit(
    req: GatewayRequest,
    summaries: readonly FindingSummary[],
    location: AuditEntry['location'],
  ): void {
    for (const s of summaries) {
      req.sluice.firewall.push({
        detector: s.detectorId,
        kind: s.kind,
        count: s.count,
        location,
        action: s.action,
      });
    }
  }
}

/** Each policy's monitor-only twin, made once (a spread per response cost more than the scan's bookkeeping). */
const MONITOR_ONLY = new WeakMap<FirewallPolicy, FirewallPolicy>();

function monitorOnly(policy: FirewallPolicy): FirewallPolicy {
  let twin = MONITOR_ONLY.get(policy);
  if (twin === undefined) {
    twin = { ...policy, mode: 'monitor' };
    MONITOR_ONLY.set(policy, twin);
  }
  return twin;
}
