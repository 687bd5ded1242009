import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ApiKeyAuthenticator,
  extractApiKey,
  generateApiKey,
  hashApiKey,
  type IdentityRepository,
  type KeyLookup,
} from '@sluice/identity';

const MASTER = 'tok_masterMasterMasterMasterMasterMasterMaster';

function repoWith(rows: Record<string, KeyLookup>): { repo: IdentityRepository; calls: () => number } {
  let calls = 0;
  const repo = {
    findByHash: async (hash: string): Promise<KeyLookup | null> => {
      calls += 1;
      return rows[hash] ?? null;
    },
  } as unknown as IdentityRepository;
  return { repo, calls: () => calls };
}

describe('API keys', () => {
  it('are tok_ plus 43 base62 characters, all different', () => {
    const keys = new Set(Array.from({ length: 2000 }, () => generateApiKey()));
    assert.equal(keys.size, 2000);
    for (const k of keys) assert.match(k, /^tok_[0-9A-Za-z]{43}$/);
  });

  it('are taken from Bearer, x-api-key, x-goog-api-key and ?key=, in that order', () => {
    assert.equal(extractApiKey({ authorization: 'Bearer tok_a' }), 'tok_a');
    assert.equal(extractApiKey({ authorization: 'bearer   tok_a  ' }), 'tok_a');
    assert.equal(extractApiKey({ 'x-api-key': 'tok_b' }), 'tok_b');
    assert.equal(extractApiKey({ 'x-goog-api-key': 'tok_c' }), 'tok_c');
    assert.equal(extractApiKey({}, { key: 'tok_d' }), 'tok_d');
    assert.equal(extractApiKey({ authorization: 'Bearer tok_a', 'x-api-key': 'tok_b' }), 'tok_a');
    assert.equal(extractApiKey({ authorization: 'Basic abc' }), null);
    assert.equal(extractApiKey({ 'x-api-key': '  ' }), null);
    assert.equal(extractApiKey({}), null);
  });

  it('are resolved through a cache: one lookup per key per TTL, unknown keys included', async () => {
    let now = 1_000;
    const key = generateApiKey();
    const { repo, calls } = repoWith({
      [hashApiKey(key)]: { keyId: 'k1', teamId: 't1', revoked: false, teamDisabled: false },
    });
    const auth = new ApiKeyAuthenticator(repo, MASTER, 30_000, 100, () => now);
    const [a, b] = await Promise.all([auth.authenticate(key), auth.authenticate(key)]);
    assert.deepEqual(a, { kind: 'team', teamId: 't1', keyId: 'k1' });
    assert.deepEqual(b, a);
    assert.equal(calls(), 1, 'concurrent lookups of one key share one query');
    await auth.authenticate(key);
    assert.equal(calls(), 1);
    const unknown = generateApiKey();
    assert.equal(await auth.authenticate(unknown), null);
    assert.equal(await auth.authenticate(unknown), null);
    assert.equal(calls(), 2, 'an unknown key is cached too');
    now += 30_001;
    await auth.authenticate(key);
    assert.equal(calls(), 3, 'the entry expired');
  });

  it('refuse revoked keys and disabled teams; accept the master key without a lookup', async () => {
    const revoked = generateApiKey();
    const disabled = generateApiKey();
    const { repo, calls } = repoWith({
      [hashApiKey(revoked)]: { keyId: 'k1', teamId: 't1', revoked: true, teamDisabled: false },
      [hashApiKey(disabled)]: { keyId: 'k2', teamId: 't2', revoked: false, teamDisabled: true },
    });
    const auth = new ApiKeyAuthenticator(repo, MASTER, 30_000);
    assert.equal(await auth.authenticate(revoked), null);
    assert.equal(await auth.authenticate(disabled), null);
    assert.deepEqual(await auth.authenticate(MASTER), { kind: 'admin', teamId: 'default', keyId: 'master' });
    assert.equal(await auth.authenticate('sk-not-ours'), null);
    assert.equal(calls(), 2, 'no lookup for the master key or for values that are not our keys');
  });

  it('services without key tables accept the master key only', async () => {
    const auth = new ApiKeyAuthenticator(null, MASTER, 0);
    assert.equal((await auth.authenticate(MASTER))?.kind, 'admin');
    assert.equal(await auth.authenticate(generateApiKey()), null);
  });
});
