import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import {
  createTestDatabase,
  requireKafkaBrokers,
  uniqueDatabaseName,
  uniqueTopic,
} from '../src/services/index';

// Unit tests: no services. The integration half is services.int.spec.ts.
void describe('service helpers without their services', () => {
  const saved = {
    db: process.env.SLUICE_TEST_DATABASE_URL,
    kafka: process.env.SLUICE_TEST_KAFKA_BROKERS,
  };
  afterEach(() => {
    for (const [key, value] of [
      ['SLUICE_TEST_DATABASE_URL', saved.db],
      ['SLUICE_TEST_KAFKA_BROKERS', saved.kafka],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  void it('createTestDatabase fails loudly when SLUICE_TEST_DATABASE_URL is unset', async () => {
    delete process.env.SLUICE_TEST_DATABASE_URL;
    await assert.rejects(createTestDatabase('x'), /SLUICE_TEST_DATABASE_URL is not set/);
  });

  void it('requireKafkaBrokers fails loudly when SLUICE_TEST_KAFKA_BROKERS is unset or blank', () => {
    delete process.env.SLUICE_TEST_KAFKA_BROKERS;
    assert.throws(() => requireKafkaBrokers(), /SLUICE_TEST_KAFKA_BROKERS is not set/);
    process.env.SLUICE_TEST_KAFKA_BROKERS = ' , ';
    assert.throws(() => requireKafkaBrokers(), /SLUICE_TEST_KAFKA_BROKERS is not set/);
  });

  void it('requireKafkaBrokers splits a comma separated list', () => {
    process.env.SLUICE_TEST_KAFKA_BROKERS = '127.0.0.1:1, 127.0.0.1:2,';
    assert.deepEqual(requireKafkaBrokers(), ['127.0.0.1:1', '127.0.0.1:2']);
  });
});

void describe('unique names', () => {
  void it('uniqueTopic keeps only characters Kafka allows and never repeats', () => {
    const a = uniqueTopic('ledger usage/v1');
    const b = uniqueTopic('ledger usage/v1');
    assert.match(a, /^ledger-usage-v1-[a-zA-Z0-9._-]+$/);
    assert.notEqual(a, b);
  });

  void it('uniqueDatabaseName is a valid lower-case identifier within 63 bytes', () => {
    const name = uniqueDatabaseName('9 Very-Long Prefix With Spaces And Symbols !!! and more and more');
    assert.match(name, /^[a-z_][a-z0-9_]*$/);
    assert.ok(name.length <= 63, name);
    assert.notEqual(uniqueDatabaseName('p'), uniqueDatabaseName('p'));
  });
});

void describe('kafka.sh cluster ids', () => {
  // One random id in 64 starts with '-', and kafka-storage then reads it as an option and refuses to
  // format (a CI run failed on that). Of 400 ids about 6 would; the old generator passed this test once in 550 runs.
  void it('are 22 characters of unpadded base64url and never start with "-"', () => {
    const script = resolve(__dirname, '../../../scripts/services/kafka.sh');
    const ids = execFileSync('bash', [script, 'cluster-id', '400'], { encoding: 'utf8' }).trim().split('\n');
    assert.equal(ids.length, 400);
    for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    assert.equal(new Set(ids).size, 400);
  });
});
