import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Scanner, StreamScanner, scan } from '../src';
import { VALID, seeded } from '../corpus/generators';

describe('scanner', () => {
  const rng = seeded(11);
  const gh = VALID['github_token']!(rng);
  const card = '4111 1111 1111 1111';
  const mail = 'olga.ivanova@globex.com';

  it('reports detector, kind, label and UTF-16 offsets, sorted and without the value', () => {
    const text = `😀 naïve résumé: token ${gh}\nπ card ${card}; mail ${mail}.`;
    const s = new Scanner({ fingerprintKey: 'k' });
    const found = s.scan(text);
    assert.deepEqual(
      found.map((f) => [f.detectorId, f.kind, f.label, text.slice(f.start, f.end)]),
      [
        ['github_token', 'secret', 'GITHUB_TOKEN', gh],
        ['credit_card', 'pii', 'CREDIT_CARD', card],
        ['email', 'pii', 'EMAIL', mail],
      ],
    );
    for (const f of found) {
      assert.match(f.fingerprint, /^[0-9a-f]{16}$/);
      assert.ok(!JSON.stringify(f).includes(text.slice(f.start, f.end)), 'no value in a finding');
    }
  });

  it('fingerprints are keyed: same value, same key -> same fingerprint; another key -> another', () => {
    const a = new Scanner({ fingerprintKey: 'team-a' });
    const b = new Scanner({ fingerprintKey: 'team-b' });
    const f1 = a.scan(`x ${gh}`)[0]!;
    const f2 = a.scan(`y y ${gh}`)[0]!;
    const f3 = b.scan(`x ${gh}`)[0]!;
    assert.equal(f1.fingerprint, f2.fingerprint);
    assert.notEqual(f1.fingerprint, f3.fingerprint);
  });

  it('resolves overlaps in favour of the specific detector', () => {
    const text = `GITHUB_TOKEN="${gh}"`;
    const found = new Scanner().scan(text);
    assert.deepEqual(
      found.map((f) => f.detectorId),
      ['github_token'],
    );
  });

  it('include / exclude / kinds filter detectors', () => {
    const text = `${gh} ${mail}`;
    assert.deepEqual(
      new Scanner({ kinds: ['pii'] }).scan(text).map((f) => f.detectorId),
      ['email'],
    );
    assert.deepEqual(
      new Scanner({ exclude: ['email'] }).scan(text).map((f) => f.detectorId),
      ['github_token'],
    );
    assert.deepEqual(
      new Scanner({ include: ['email'] }).scan(text).map((f) => f.detectorId),
      ['email'],
    );
    assert.equal(scan(text).length, 2);
  });

  it('scanSegments tags findings with their segment and scans a resent segment only once', () => {
    const s = new Scanner({ fingerprintKey: 'k', cache: { maxEntries: 2, minSegmentLength: 10 } });
    const history = [
      `system prompt, long enough to be cached ${'.'.repeat(20)}`,
      `tool result: ${gh} ${'-'.repeat(20)}`,
    ];
    const turn1 = s.scanSegments(history);
    assert.deepEqual(
      turn1.map((f) => [f.segment, f.detectorId]),
      [[1, 'github_token']],
    );
    assert.deepEqual(s.cacheStats, { hits: 0, misses: 2, entries: 2 });
    const turn2 = s.scanSegments([...history, `new user message with ${mail}`]);
    assert.deepEqual(
      turn2.map((f) => [f.segment, f.detectorId]),
      [
        [1, 'github_token'],
        [2, 'email'],
      ],
    );
    assert.equal(s.cacheStats.hits, 2);
    assert.equal(s.cacheStats.misses, 3);
    // Bounded LRU: two entries at most.
    assert.equal(s.cacheStats.entries, 2);
    // Cached findings are the same as fresh ones.
    assert.deepEqual(turn2.slice(0, 1), turn1);
  });

  it('short segments bypass the cache; cache: false disables it', () => {
    const s = new Scanner({ cache: false });
    s.scanSegments(['a'.repeat(1000), 'a'.repeat(1000)]);
    assert.deepEqual(s.cacheStats, { hits: 0, misses: 0, entries: 0 });
    const t = new Scanner();
    t.scanSegments(['short', 'short']);
    assert.deepEqual(t.cacheStats, { hits: 0, misses: 0, entries: 0 });
  });

  describe('adversarial inputs (1 MB each) complete: no catastrophic backtracking', () => {
    const MB = 1 << 20;
    const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
    const cases: Record<string, string> = {
      letters: fill('a'),
      digits: fill('1'),
      'spaced digits': fill('1 '),
      'dashed digits': fill('12-'),
      'dotted digits': fill('10.'),
      'digit groups': fill('4111 '),
      'phone-shaped': fill('(415) 555-2671 '),
      'plus digits': fill('+1 '),
      'at signs': fill('@'),
      'email-ish': fill('a.b@c'),
      'url scheme': fill('postgres://u:p'),
      'url no host': 'postgres://user:' + fill('p'),
      'pem headers without end': fill('-----BEGIN RSA PRIVATE KEY-----"'),
      'pem body without end': '-----BEGIN PRIVATE KEY-----\n' + fill('QUFB\n'),
      'jwt-ish': fill('eyJhbGciOi.'),
      'jwt long segment': 'eyJ' + fill('a'),
      'github prefix': 'ghp_' + fill('A'),
      'openai prefix': 'sk-proj-' + fill('A'),
      'gitlab routable-ish': 'glpat-' + fill('a') + '.01.',
      assignments: fill('password='),
      'secret key long value': 'token: ' + fill('x'),
      'colons (ipv6-ish)': fill('a:'),
      'hex colons': fill('abcd:'),
      'upper ids': fill('AB12 '),
      'iban-ish': fill('DE89 '),
      'aws ids': fill('AKIA2345234523452345 '),
      base64: fill('QUJDRA+/'),
      tildes: fill('abcQ~'),
      'mailchimp-ish': fill('a-us'),
      'telegram-ish': fill('1234567890:AA'),
      'atlas-ish': fill('.atlasv1.'),
      quotes: fill('"key": "'),
      unicode: fill('日本語テキスト'),
    };
    for (const [name, text] of Object.entries(cases)) {
      // The timeout only stops a quadratic scan from hanging the suite (a linear one takes about a second).
      it(name, { timeout: 60_000 }, () => {
        const s = new Scanner({ fingerprintKey: 'k', cache: false });
        const found = s.scan(text);
        assert.ok(Array.isArray(found));
        for (const f of found) assert.ok(f.start >= 0 && f.end <= text.length && f.start < f.end);
      });
    }
  });
});

describe('StreamScanner', () => {
  const rng = seeded(21);
  const parts: string[] = [];
  for (let i = 0; i < 30; i++) {
    parts.push(`line ${i}: the model says `);
    if (i % 3 === 0) parts.push(VALID['github_token']!(rng));
    if (i % 4 === 1) parts.push(` mail ${VALID['email']!(rng)}`);
    if (i % 5 === 2) parts.push(` card ${VALID['credit_card']!(rng)}`);
    parts.push('.\n');
  }
  const answer = parts.join('');
  const scanner = new Scanner({ fingerprintKey: 'k', cache: false });
  const whole = scanner.scan(answer);

  it('reports, across pushes and flush, exactly the findings of the whole answer', () => {
    assert.ok(whole.length >= 20);
    for (const chunk of [1, 7, 64, 500, answer.length]) {
      const s = new StreamScanner(scanner, { windowChars: 50, marginChars: 300 });
      const got: typeof whole = [];
      for (let i = 0; i < answer.length; i += chunk) got.push(...s.push(answer.slice(i, i + chunk)));
      const beforeFlush = got.length;
      got.push(...s.flush());
      got.sort((a, b) => a.start - b.start);
      assert.deepEqual(got, whole, `chunk ${chunk}`);
      if (chunk < answer.length) assert.ok(beforeFlush > 0, 'findings arrive before the end of the stream');
    }
  });

  it('holds back a value that is still arriving', () => {
    const gh = VALID['github_token']!(rng);
    const s = new StreamScanner(scanner, { windowChars: 10, marginChars: 100 });
    assert.deepEqual(s.push('x'.repeat(200) + ' ' + gh.slice(0, 20)), []);
    assert.deepEqual(s.push(gh.slice(20)), []);
    const done = s.flush();
    assert.equal(done.length, 1);
    assert.equal(done[0]!.detectorId, 'github_token');
    assert.equal(done[0]!.start, 201);
  });
});
