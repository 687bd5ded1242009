import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, loadGatewayConfig, loadStandaloneConfig } from '@sluice/config';

describe('configuration', () => {
  it('has working defaults for standalone mode', () => {
    const c = loadStandaloneConfig({}, '/srv/sluice');
    assert.equal(c.gateway.port, 8081);
    assert.equal(c.ledger.port, 8090);
    assert.equal(c.marketplace.port, 8091);
    assert.equal(c.gateway.dataDir, '/srv/sluice/data');
    assert.equal(c.gateway.host, '127.0.0.1');
    assert.equal(c.gateway.databaseUrl, undefined);
    assert.equal(c.gateway.kafkaBrokers, undefined);
    assert.ok(c.gateway.migrationsDir.endsWith('/migrations'));
  });

  it('requires Postgres, Kafka and the master key in distributed mode, naming what is missing', () => {
    assert.throws(
      () => loadGatewayConfig({}, 'distributed'),
      (e: unknown) => e instanceof ConfigError && /DATABASE_URL/.test(e.message),
    );
    assert.throws(
      () => loadGatewayConfig({ DATABASE_URL: 'postgres://x/y' }, 'distributed'),
      (e: unknown) => e instanceof ConfigError && /KAFKA_BROKERS/.test(e.message),
    );
    assert.throws(
      () => loadGatewayConfig({ DATABASE_URL: 'postgres://x/y', KAFKA_BROKERS: 'a:1' }, 'distributed'),
      (e: unknown) => e instanceof ConfigError && /SLUICE_MASTER_KEY/.test(e.message),
    );
    const ok = loadGatewayConfig(
      { DATABASE_URL: 'postgres://x/y', KAFKA_BROKERS: ' a:1, b:2 ,', SLUICE_MASTER_KEY: 'tok_x' },
      'distributed',
    );
    assert.deepEqual(ok.kafkaBrokers, ['a:1', 'b:2']);
  });

  it('rejects invalid values with the variable named', () => {
    assert.throws(
      () => loadGatewayConfig({ SLUICE_GATEWAY_PORT: 'eighty' }, 'standalone'),
      /SLUICE_GATEWAY_PORT/,
    );
    assert.throws(() => loadGatewayConfig({ SLUICE_LOG_LEVEL: 'loud' }, 'standalone'), /SLUICE_LOG_LEVEL/);
    assert.throws(
      () => loadGatewayConfig({ SLUICE_USAGE_FLUSH_MS: '-5' }, 'standalone'),
      /SLUICE_USAGE_FLUSH_MS/,
    );
  });

  it('masks secrets when describing the effective configuration', () => {
    const c = loadGatewayConfig(
      {
        DATABASE_URL: 'postgres://u:supersecret@db:5432/s',
        KAFKA_BROKERS: 'k:9092',
        SLUICE_MASTER_KEY: 'tok_abcdefghijklmnop',
      },
      'distributed',
    );
    const text = JSON.stringify(describeConfig(c));
    assert.ok(!text.includes('supersecret'));
    assert.ok(!text.includes('tok_abcdefghijklmnop'));
    assert.match(text, /kafka k:9092/);
  });
});
