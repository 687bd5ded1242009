import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Finding, Scanner, decide, mergePolicies, parseFirewallMode } from '../src';
import { VALID, seeded } from '../corpus/generators';

const rng = seeded(5);
const gh = VALID['github_token']!(rng);
const mail = 'li.wang@initech.net';
const ip = '8.8.8.8';
const segments = ['system', `token ${gh} and ${mail}`, `from ${ip}`];
const findings: Finding[] = new Scanner({ fingerprintKey: 'k' }).scanSegments(segments);

describe('policy', () => {
  it('the fixture has one finding of each kind', () => {
    assert.deepEqual(
      findings.map((f) => f.detectorId),
      ['github_token', 'email', 'ipv4'],
    );
  });

  it('off: allow, nothing recorded', () => {
    assert.deepEqual(decide(findings, { mode: 'off' }), { outcome: 'allow', audit: [] });
  });

  it('monitor: allow and record every finding with counts, locations and fingerprints', () => {
    const d = decide(findings, { mode: 'monitor' });
    assert.equal(d.outcome, 'allow');
    assert.deepEqual(
      d.audit.map((a) => [a.detectorId, a.action, a.count, a.locations[0]?.segment]),
      [
        ['github_token', 'monitor', 1, 1],
        ['email', 'monitor', 1, 1],
        ['ipv4', 'monitor', 1, 2],
      ],
    );
    assert.match(d.audit[0]!.fingerprints[0]!, /^[0-9a-f]{16}$/);
  });

  it('enforce: blocks, naming detector types and locations but never values', () => {
    const d = decide(findings, { mode: 'enforce' }, ['system', 'messages[0].content', 'messages[1].content']);
    assert.equal(d.outcome, 'block');
    if (d.outcome !== 'block') return;
    assert.deepEqual(
      d.blocked.map((b) => b.detectorId),
      ['github_token', 'email', 'ipv4'],
    );
    assert.match(d.message, /github_token \(secret\) x1 at messages\[0\]\.content \[6, 46\)/);
    assert.match(d.message, /ipv4 \(pii\) x1 at messages\[1\]\.content/);
    for (const v of [gh, mail, ip]) assert.ok(!d.message.includes(v) && !JSON.stringify(d).includes(v));
  });

  it('enforce with per-detector overrides: monitor and ignore do not block', () => {
    const d = decide(findings, {
      mode: 'enforce',
      actions: { email: 'monitor', ipv4: 'ignore', github_token: 'monitor' },
    });
    assert.equal(d.outcome, 'allow');
    assert.deepEqual(
      d.audit.map((a) => [a.detectorId, a.action]),
      [
        ['github_token', 'monitor'],
        ['email', 'monitor'],
      ],
    );
  });

  it('redact: returns the findings to redact; a block override still blocks', () => {
    const d = decide(findings, { mode: 'redact', actions: { ipv4: 'monitor' } });
    assert.equal(d.outcome, 'redact');
    if (d.outcome !== 'redact') return;
    assert.deepEqual(
      d.redact.map((f) => f.detectorId),
      ['github_token', 'email'],
    );
    const b = decide(findings, { mode: 'redact', actions: { github_token: 'block' } });
    assert.equal(b.outcome, 'block');
    if (b.outcome !== 'block') return;
    assert.deepEqual(
      b.blocked.map((x) => x.detectorId),
      ['github_token'],
    );
    assert.deepEqual(
      b.audit.map((x) => [x.detectorId, x.action]),
      [
        ['github_token', 'block'],
        ['email', 'redact'],
        ['ipv4', 'redact'],
      ],
    );
  });

  it('no findings: allow in every mode', () => {
    for (const mode of ['off', 'monitor', 'enforce', 'redact'] as const) {
      assert.deepEqual(decide([], { mode }), { outcome: 'allow', audit: [] });
    }
  });

  it('team and key overrides merge over the global policy', () => {
    const p = mergePolicies(
      { mode: 'monitor', actions: { email: 'ignore' } },
      { mode: 'redact', actions: { ipv4: 'monitor' } },
      undefined,
      { actions: { email: 'redact' } },
    );
    assert.deepEqual(p, { mode: 'redact', actions: { email: 'redact', ipv4: 'monitor' } });
  });

  it('parses SLUICE_FIREWALL_MODE values', () => {
    assert.equal(parseFirewallMode(undefined), 'monitor');
    assert.equal(parseFirewallMode(' Enforce '), 'enforce');
    assert.equal(parseFirewallMode('bogus', 'off'), 'off');
  });
});
