import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Scanner, listDetectors } from '../src';
import { INVALID, VALID, seeded } from '../corpus/generators';

const scanner = new Scanner({ fingerprintKey: 'test-key', cache: false });

/** Puts a value where its detector expects it (context-bound formats need their key or keyword). */
function inContext(id: string, value: string): string {
  switch (id) {
    case 'aws_secret_key':
      return `aws_secret_access_key = ${value}`;
    case 'generic_secret':
      return `client_secret: "${value}"`;
    case 'database_url_password':
      return `DATABASE_URL=postgres://app:${value}@db.prod.internal:5432/main`;
    case 'broker_url_password':
      return `BROKER=amqp://svc:${value}@mq.internal:5672/`;
    case 'azure_storage_account_key':
      return `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${value};EndpointSuffix=core.windows.net`;
    case 'slack_webhook':
    case 'discord_webhook':
      return `webhook_url: https://${value}`;
    case 'netherlands_bsn':
      return `BSN: ${value}`;
    default:
      return `value: ${value} (end)`;
  }
}

describe('detectors', () => {
  const all = listDetectors();

  it('has at least 60 secret formats and the PII set, with unique ids and upper-case labels', () => {
    assert.ok(all.filter((d) => d.kind === 'secret').length >= 60);
    assert.ok(all.filter((d) => d.kind === 'pii').length >= 20);
    assert.equal(new Set(all.map((d) => d.id)).size, all.length);
    for (const d of all) {
      assert.match(d.id, /^[a-z0-9_]+$/);
      assert.match(d.label, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(d.description.length > 10);
    }
  });

  for (const d of all) {
    it(`${d.id}: finds generated values at their exact span`, () => {
      const gen = VALID[d.id];
      assert.ok(gen, `a generator for ${d.id}`);
      const rng = seeded(d.id.length * 7919);
      for (let i = 0; i < 25; i++) {
        const value = gen(rng);
        const text = inContext(d.id, value);
        const at = text.indexOf(value);
        const found = scanner.scan(text);
        assert.ok(
          found.some((f) => f.detectorId === d.id && f.start === at && f.end === at + value.length),
          `${d.id} missed ${JSON.stringify(value)}; found ${JSON.stringify(found)}`,
        );
      }
    });
  }

  for (const [id, gen] of Object.entries(INVALID)) {
    it(`${id}: rejects values whose offline check fails`, () => {
      const rng = seeded(id.length * 104729);
      for (let i = 0; i < 25; i++) {
        const value = gen(rng);
        const found = scanner.scan(`value: ${value} (end)`).filter((f) => f.detectorId === id);
        assert.deepEqual(found, [], `${id} accepted ${value}`);
      }
    });
  }

  it('does not flag documentation examples, placeholders and look-alikes', () => {
    const negatives = [
      'AKIAIOSFODNN7EXAMPLE',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'gho_16C7e42F292c6912E7710c838347Ae178B4a',
      'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'api_key = "<your-api-key>"',
      'password: process.env.DB_PASSWORD',
      'token = "${GITHUB_TOKEN}"',
      'max_tokens: 4096',
      'password = "changeme"',
      'postgres://user:password@localhost:5432/db',
      'commit 3f786850e387550fdab836ed7e6dc881de23001b',
      'id 550e8400-e29b-41d4-a716-446655440000',
      'see git@github.com:acme/repo.git and icon@2x.png and jane@example.com',
      'import { Injectable } from "@nestjs/common";',
      'version 1.2.3.4.5 built 2024-01-05 12:30:00',
      'local 10.0.0.1 192.168.1.20 127.0.0.1 ::1 fe80::1',
      'card 4111 1111 1111 1112',
      'ssn 666-12-3456 and 000-12-3456',
      'sha512-Vq8sLc3kkUAQ2lM0QJ9ULx8CM0Hdg0/Bz5DLCmMw1X3wz8q4RbP0sFpJc7gk4u4Tjq7qN2Z3V8K0aAq1Tgr7LQ==',
      'the TOKEN_TYPE is bearer; the secret_name is prod-db',
    ];
    for (const text of negatives) assert.deepEqual(scanner.scan(text), [], text);
  });

  it('private IP ranges are skipped by default and reported when asked', () => {
    const text = 'hosts 10.1.2.3 and 8.8.4.4 and fd00::1 and 2a00:1450:4001:80b::200e';
    assert.deepEqual(
      scanner.scan(text).map((f) => text.slice(f.start, f.end)),
      ['8.8.4.4', '2a00:1450:4001:80b::200e'],
    );
    const all = new Scanner({ includePrivateIps: true, cache: false })
      .scan(text)
      .map((f) => text.slice(f.start, f.end));
    assert.deepEqual(all, ['10.1.2.3', '8.8.4.4', 'fd00::1', '2a00:1450:4001:80b::200e']);
  });

  it('phone regions are configurable', () => {
    const text = 'call 020 7946 0958 today';
    assert.deepEqual(scanner.scan(text), []);
    const gb = new Scanner({ phoneRegions: ['GB'], cache: false }).scan(text);
    assert.equal(gb.length, 1);
    assert.equal(text.slice(gb[0]!.start, gb[0]!.end), '020 7946 0958');
  });

  it('pairs an AWS secret with a nearby access key id even without a naming key', () => {
    const rng = seeded(3);
    const id = VALID['aws_access_key_id']!(rng);
    const secret = VALID['aws_secret_key']!(rng);
    const text = `[default]\nkey = ${id}\nvalue = ${secret}\n`;
    const found = scanner.scan(text).map((f) => [f.detectorId, text.slice(f.start, f.end)]);
    assert.deepEqual(found, [
      ['aws_access_key_id', id],
      ['aws_secret_key', secret],
    ]);
  });

  it('PEM blocks with JSON-escaped newlines (service-account files) are caught whole', () => {
    const rng = seeded(5);
    const pem = VALID['private_key']!(rng).replace(/\n/g, '\\n');
    const text = `{"type": "service_account", "private_key": "${pem}\\n", "client_email": "x"}`;
    const found = scanner.scan(text).filter((f) => f.detectorId === 'private_key');
    assert.equal(found.length, 1);
    assert.equal(text.slice(found[0]!.start, found[0]!.end), pem);
  });
});
