import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Restorer, Scanner, decide, jsonEscape, placeholderFor, redact, redactSegments } from '../src';
import { VALID, seeded } from '../corpus/generators';

const KEY = 'team-42-placeholder-key';
const rng = seeded(99);
const awsId = VALID['aws_access_key_id']!(rng);
const awsSecret = VALID['aws_secret_key']!(rng);
const mail = 'maria.garcia@globex.com';
const scanner = new Scanner({ fingerprintKey: 'fp' });

describe('redaction', () => {
  it('placeholder is [LABEL_<6 hex of HMAC-SHA256(key, value)>], stable per key', () => {
    const p = placeholderFor('AWS_SECRET_KEY', awsSecret, KEY);
    assert.match(p, /^\[AWS_SECRET_KEY_[0-9a-f]{6}\]$/);
    assert.equal(placeholderFor('AWS_SECRET_KEY', awsSecret, KEY), p);
    assert.notEqual(placeholderFor('AWS_SECRET_KEY', awsSecret, 'other-team'), p);
    // A keyed HMAC, not a plain hash of the value.
    assert.notEqual(p.slice(-7, -1), createHash('sha256').update(awsSecret).digest('hex').slice(0, 6));
  });

  it('replaces every finding, the same value with the same placeholder, and maps back', () => {
    const text = `id=${awsId}\naws_secret_access_key=${awsSecret}\nmail ${mail}, again ${mail}`;
    const findings = scanner.scan(text);
    const r = redact(text, findings, { key: KEY });
    for (const v of [awsId, awsSecret, mail]) assert.ok(!r.text.includes(v));
    const mailPlaceholder = placeholderFor('EMAIL', mail, KEY);
    assert.equal(r.text.split(mailPlaceholder).length - 1, 2);
    assert.equal(r.mapping.size, 3);
    assert.equal(r.mapping.get(mailPlaceholder), mail);
    assert.equal(new Restorer(r.mapping).restore(r.text), text);
    for (const rep of r.replacements) assert.equal(r.text.slice(rep.start, rep.end), rep.placeholder);
  });

  it('lengthens a placeholder that would collide with another value in the same request', () => {
    const mapping = new Map([[placeholderFor('EMAIL', mail, KEY), 'someone.else@globex.com']]);
    const text = `to ${mail}`;
    const r = redact(text, scanner.scan(text), { key: KEY, mapping });
    assert.match(r.text, /^to \[EMAIL_[0-9a-f]{8}\]$/);
    assert.equal(new Restorer(r.mapping).restore(r.text), text);
  });

  it('redactSegments shares one mapping across segments', () => {
    const segments = [`a ${mail}`, 'nothing here', `b ${mail} ${awsId}`];
    const r = redactSegments(segments, scanner.scanSegments(segments), { key: KEY });
    assert.equal(r.segments[1], 'nothing here');
    assert.equal(r.mapping.size, 2);
    const restorer = new Restorer(r.mapping);
    assert.deepEqual(
      r.segments.map((s) => restorer.restore(s)),
      segments,
    );
  });

  describe('Restorer', () => {
    const mapping = new Map([
      [placeholderFor('AWS_SECRET_KEY', awsSecret, KEY), awsSecret],
      [placeholderFor('EMAIL', mail, KEY), mail],
      [placeholderFor('SECRET', 'pa"ss\\wo\nrd', KEY), 'pa"ss\\wo\nrd'],
    ]);
    const [pAws, pMail, pTricky] = [...mapping.keys()] as [string, string, string];
    const answer = `Use ${pAws} [not a placeholder] and write to ${pMail}[EMAIL_000000] then ${pTricky}.[`;
    const expected = `Use ${awsSecret} [not a placeholder] and write to ${mail}[EMAIL_000000] then pa"ss\\wo\nrd.[`;

    it('restores whole strings and leaves unknown placeholders alone', () => {
      assert.equal(new Restorer(mapping).restore(answer), expected);
      assert.equal(new Restorer(Object.fromEntries(mapping)).restore(answer), expected);
    });

    it('streams: any split into two deltas gives the same output', () => {
      for (let cut = 0; cut <= answer.length; cut++) {
        const r = new Restorer(mapping);
        const out = r.push(answer.slice(0, cut)) + r.push(answer.slice(cut)) + r.flush();
        assert.equal(out, expected, `cut at ${cut}`);
      }
    });

    it('streams: one character at a time, holding back only a possible placeholder prefix', () => {
      const r = new Restorer(mapping);
      let out = '';
      for (const ch of answer) out += r.push(ch);
      out += r.flush();
      assert.equal(out, expected);
      const held = new Restorer(mapping);
      assert.equal(held.push('abc ' + pAws.slice(0, 5)), 'abc ');
      assert.equal(held.push('x'), pAws.slice(0, 5) + 'x');
      assert.equal(held.push('[Q'), '[Q');
      assert.equal(held.flush(), '');
    });

    it('JSON mode keeps tool-call argument deltas valid JSON, split at every position', () => {
      const args = JSON.stringify({ password: pTricky, note: `mail ${pMail}` });
      for (let cut = 0; cut <= args.length; cut++) {
        const r = new Restorer(mapping, { mode: 'json' });
        const out = r.push(args.slice(0, cut)) + r.push(args.slice(cut)) + r.flush();
        assert.deepEqual(
          JSON.parse(out),
          { password: 'pa"ss\\wo\nrd', note: `mail ${mail}` },
          `cut at ${cut}`,
        );
      }
    });

    it('JSON mode with depth 2 for JSON held in a JSON string', () => {
      const inner = JSON.stringify({ password: pTricky });
      const outer = JSON.stringify({ arguments: inner });
      const out = new Restorer(mapping, { mode: 'json', jsonDepth: 2 }).restore(outer);
      const parsed = JSON.parse(JSON.parse(out).arguments);
      assert.equal(parsed.password, 'pa"ss\\wo\nrd');
      assert.equal(jsonEscape('a"b', 2), 'a\\\\\\"b');
    });

    it('restoreValue walks parsed tool inputs', () => {
      const out = new Restorer(mapping).restoreValue({ a: [pMail, { b: `k=${pAws}` }], n: 1, t: true });
      assert.deepEqual(out, { a: [mail, { b: `k=${awsSecret}` }], n: 1, t: true });
    });

    it('an empty mapping passes everything through at once', () => {
      const r = new Restorer(new Map());
      assert.equal(r.push('[AWS_'), '[AWS_');
      assert.equal(r.flush(), '');
    });
  });

  it('scenario: an agent file read is redacted for the provider and the tool call gets the real value back', () => {
    // 1. The agent read a .env file; its content is a tool result in the conversation.
    const toolResult = `# .env\nAWS_ACCESS_KEY_ID=${awsId}\nAWS_SECRET_ACCESS_KEY=${awsSecret}\nADMIN_EMAIL=${mail}\n`;
    const segments = ['You are a coding agent.', 'Deploy with the credentials in .env', toolResult];
    // 2. Scan, decide under redact mode, redact.
    const findings = scanner.scanSegments(segments);
    const decision = decide(findings, { mode: 'redact' });
    assert.equal(decision.outcome, 'redact');
    if (decision.outcome !== 'redact') return;
    const { segments: sent, mapping } = redactSegments(segments, decision.redact, { key: KEY });
    // 3. The provider sees placeholders only.
    const upstream = sent.join('\n');
    for (const v of [awsId, awsSecret, mail])
      assert.ok(!upstream.includes(v), 'provider never sees the value');
    // 4. The model writes the placeholder into a streamed tool call.
    const pSecret = placeholderFor('AWS_SECRET_KEY', awsSecret, KEY);
    assert.ok(upstream.includes(pSecret));
    const argsJson = JSON.stringify({ command: `aws configure set aws_secret_access_key ${pSecret}` });
    const deltas = argsJson.match(/.{1,7}/gs) ?? [];
    // 5. The gateway restores the stream; the agent receives the real value.
    const restorer = new Restorer(mapping, { mode: 'json' });
    const received = deltas.map((d) => restorer.push(d)).join('') + restorer.flush();
    assert.deepEqual(JSON.parse(received), {
      command: `aws configure set aws_secret_access_key ${awsSecret}`,
    });
  });
});
