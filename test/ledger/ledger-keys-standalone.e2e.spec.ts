import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStandalone, type Standalone } from '@sluice/apps/standalone';
import { waitFor } from '@sluice/testing';
import { graphql } from '../helpers/graphql';

const PORTS = {
  SLUICE_GATEWAY_PORT: '0',
  SLUICE_LEDGER_PORT: '0',
  SLUICE_MARKETPLACE_PORT: '0',
  SLUICE_LOG_LEVEL: 'warn',
};
const USAGE = `query ($from: DateTime!, $to: DateTime!, $team: String) { usage(from: $from, to: $to, groupBy: [TEAM], team: $team) { team requests } }`;

/**
 * Team keys on the ledger in standalone mode (embedded Postgres, in-process events): the identity
 * events take the in-process transport, a key works on the ledger right after its creation, and
 * disabling its team stops it there.
 */
describe('team keys on the ledger, standalone', { timeout: 240_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-keys-standalone-'));
  let s: Standalone;

  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${s.urls.gateway}/api/v1/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${s.masterKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  const range = {
    from: new Date(Date.now() - 3_600_000).toISOString(),
    to: new Date(Date.now() + 3_600_000).toISOString(),
  };

  before(async () => {
    s = await startStandalone({ ...PORTS, SLUICE_DATA_DIR: dataDir }, () => undefined);
  });

  after(async () => {
    await s?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a new key reads its own team at once; disabling the team stops it', async () => {
    const t1 = await admin<{ id: string }>('POST', '/teams', { name: 'one' });
    const t2 = await admin<{ id: string }>('POST', '/teams', { name: 'two' });
    const k1 = await admin<{ key: string }>('POST', `/teams/${t1.id}/keys`, { name: 'ci' });
    const chat = await fetch(`${s.urls.gateway}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k1.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'loopback', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(chat.status, 200);
    await chat.arrayBuffer();

    const own = await waitFor(
      'team one usage with its key',
      () =>
        graphql<{ usage: Array<{ team: string; requests: number }> }>(s.urls.ledger, k1.key, USAGE, range),
      (r) => (r.data?.usage[0]?.requests ?? 0) === 1,
      { timeoutMs: 10_000 },
    );
    assert.deepEqual(own.data?.usage, [{ team: t1.id, requests: 1 }]);
    const other = await graphql(s.urls.ledger, k1.key, USAGE, { ...range, team: t2.id });
    assert.equal(other.errors?.[0]?.extensions?.code, 'FORBIDDEN');

    await admin('DELETE', `/teams/${t1.id}`);
    await waitFor(
      'the key of the disabled team refused',
      () => graphql(s.urls.ledger, k1.key, USAGE, range),
      (r) => r.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED',
      { timeoutMs: 10_000 },
    );
  });
});
