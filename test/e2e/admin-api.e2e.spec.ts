import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { startGatewayServer, type GatewayServer } from '@sluice/apps/gateway';
import { createTestDatabase, requireKafkaBrokers, uniqueTopic, type TestDatabase } from '@sluice/testing';
import { TEST_MASTER_KEY } from '../helpers/pipe';

type Json = Record<string, unknown>;

/** Teams and keys through the admin REST API of a distributed gateway (real Postgres and Kafka). */
describe('admin API and API keys', { timeout: 120_000 }, () => {
  let db: TestDatabase;
  let gw: GatewayServer;

  async function call(
    method: string,
    path: string,
    key: string | null,
    body?: unknown,
    headerName = 'authorization',
  ): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = {};
    if (key) headers[headerName] = headerName === 'authorization' ? `Bearer ${key}` : key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }
  const chat = (key: string | null, headerName?: string): Promise<{ status: number; body: Json }> =>
    call(
      'POST',
      '/v1/chat/completions',
      key,
      { model: 'loopback', messages: [{ role: 'user', content: 'hi' }] },
      headerName,
    );

  before(async () => {
    db = await createTestDatabase('admin_api');
    gw = await startGatewayServer({
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireKafkaBrokers().join(','),
      SLUICE_MASTER_KEY: TEST_MASTER_KEY,
      SLUICE_GATEWAY_PORT: '0',
      SLUICE_USAGE_TOPIC: uniqueTopic('admin-usage'),
      SLUICE_LOG_LEVEL: 'warn',
    });
  });

  after(async () => {
    await gw?.stop();
    await db?.drop();
  });

  it('creates a team and a key; the key works on every header clients use; only a hash is stored', async () => {
    const team = await call('POST', '/api/v1/admin/teams', TEST_MASTER_KEY, { name: 'platform' });
    assert.equal(team.status, 201);
    const teamId = team.body['id'] as string;
    const created = await call('POST', `/api/v1/admin/teams/${teamId}/keys`, TEST_MASTER_KEY, { name: 'ci' });
    assert.equal(created.status, 201);
    const key = created.body['key'] as string;
    assert.match(key, /^tok_[0-9A-Za-z]{43}$/);
    assert.equal(created.body['teamId'], teamId);

    for (const header of ['authorization', 'x-api-key', 'x-goog-api-key']) {
      const r = await chat(key, header);
      assert.equal(r.status, 200, `key accepted from ${header}`);
    }
    const listed = await call('GET', `/api/v1/admin/teams/${teamId}/keys`, TEST_MASTER_KEY);
    assert.equal(listed.status, 200);
    const rows = listed.body['data'] as Json[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.['key'], undefined, 'the key is not shown again');
    assert.equal(rows[0]?.['prefix'], key.slice(0, 10));

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const dump = JSON.stringify((await pg.query('SELECT * FROM gateway.api_keys')).rows);
      assert.ok(!dump.includes(key), 'the clear key is nowhere in the table');
      assert.ok(
        dump.includes(
          (await pg.query<{ h: string }>(`SELECT encode(sha256($1::bytea), 'hex') AS h`, [key])).rows[0]!.h,
        ),
      );
    } finally {
      await pg.end();
    }
  });

  it('answers 401 for no key and unknown keys, in the OpenAI shape', async () => {
    const none = await chat(null);
    assert.equal(none.status, 401);
    assert.deepEqual(Object.keys(none.body), ['error']);
    assert.equal((none.body['error'] as Json)['code'], 'missing_api_key');
    const unknown = await chat('tok_thisKeyDoesNotExist0000000000000000000000');
    assert.equal(unknown.status, 401);
    assert.equal((unknown.body['error'] as Json)['type'], 'authentication_error');
  });

  it('revoking a key turns it away at once (401); the admin API refuses team keys (403)', async () => {
    const team = await call('POST', '/api/v1/admin/teams', TEST_MASTER_KEY, { name: 'to-revoke' });
    const teamId = team.body['id'] as string;
    const created = await call('POST', `/api/v1/admin/teams/${teamId}/keys`, TEST_MASTER_KEY, { name: 'k' });
    const key = created.body['key'] as string;
    assert.equal((await chat(key)).status, 200);
    assert.equal(
      (await call('GET', '/api/v1/admin/teams', key)).status,
      403,
      'a team key is not an admin key',
    );
    assert.equal((await call('GET', '/api/v1/admin/teams', null)).status, 401);

    const revoked = await call(
      'DELETE',
      `/api/v1/admin/keys/${created.body['id'] as string}`,
      TEST_MASTER_KEY,
    );
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body['revokedAt']);
    const after = await chat(key);
    assert.equal(after.status, 401);
    assert.equal((after.body['error'] as Json)['code'], 'invalid_api_key');
  });

  it('disabling a team revokes its keys; names are unique among active teams; bad input is a 400', async () => {
    const team = await call('POST', '/api/v1/admin/teams', TEST_MASTER_KEY, { name: 'gone' });
    const teamId = team.body['id'] as string;
    const key = (await call('POST', `/api/v1/admin/teams/${teamId}/keys`, TEST_MASTER_KEY, { name: 'k' }))
      .body['key'] as string;
    assert.equal((await call('POST', '/api/v1/admin/teams', TEST_MASTER_KEY, { name: 'GONE' })).status, 409);
    assert.equal((await call('DELETE', `/api/v1/admin/teams/${teamId}`, TEST_MASTER_KEY)).status, 200);
    assert.equal((await chat(key)).status, 401);
    assert.equal(
      (await call('POST', `/api/v1/admin/teams/${teamId}/keys`, TEST_MASTER_KEY, { name: 'k2' })).status,
      400,
    );
    assert.equal((await call('POST', '/api/v1/admin/teams', TEST_MASTER_KEY, { name: '' })).status, 400);
    assert.equal((await call('GET', '/api/v1/admin/teams/team_nope', TEST_MASTER_KEY)).status, 404);
    const teams = (await call('GET', '/api/v1/admin/teams', TEST_MASTER_KEY)).body['data'] as Json[];
    assert.ok(
      teams.some((t) => t['id'] === 'default'),
      'the default team pays for the master key',
    );
  });

  it('rejects malformed bodies with 400 in the OpenAI shape, and never a 500', async () => {
    // Codes as OpenAI gives them: null for schema errors, with the parameter named.
    const cases: Array<[string, string | null, string | null]> = [
      ['{"model":', 'invalid_json', null],
      ['[]', 'invalid_request', null],
      ['{"messages":[{"role":"user","content":"x"}]}', 'invalid_request', 'model'],
      ['{"model":"loopback","messages":[]}', 'invalid_request', 'messages'],
      ['{"model":"loopback","messages":"x"}', null, 'messages'],
      ['{"model":7,"messages":[{"role":"user","content":"x"}]}', 'invalid_request', 'model'],
    ];
    for (const [body, code, param] of cases) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_MASTER_KEY}`, 'content-type': 'application/json' },
        body,
      });
      const json = (await res.json()) as {
        error: { code: string | null; type: string; param: string | null };
      };
      assert.equal(res.status, 400, body);
      assert.equal(json.error.code, code, body);
      assert.equal(json.error.param, param, body);
      assert.equal(json.error.type, 'invalid_request_error');
      assert.ok(res.headers.get('x-request-id'));
    }
  });
});
