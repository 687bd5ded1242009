import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, DEFAULT_ROUTES, describeRouting, loadRoutingConfig } from '@sluice/config';

const emptyDir = (): string => mkdtempSync(join(tmpdir(), 'sluice-cfg-'));

describe('routing configuration', () => {
  it('defaults: the four providers and the documented routes', () => {
    const r = loadRoutingConfig({}, emptyDir());
    assert.deepEqual(
      r.providers.map((p) => [p.name, p.family, p.baseUrl]),
      [
        ['openai', 'openai', 'https://api.openai.com/v1'],
        ['anthropic', 'anthropic', 'https://api.anthropic.com'],
        ['gemini', 'gemini', 'https://generativelanguage.googleapis.com'],
        ['loopback', 'loopback', 'loopback:'],
      ],
    );
    assert.deepEqual(r.routes, DEFAULT_ROUTES);
    assert.equal(r.workMode, 'auto');
  });

  it('reads keys and base URLs under SLUICE_, TOKLIGENCE_ and the providers own names, in that order', () => {
    const r = loadRoutingConfig(
      {
        OPENAI_API_KEY: 'sk-plain',
        TOKLIGENCE_OPENAI_API_KEY: 'sk-tok',
        ANTHROPIC_API_KEY: 'sk-ant',
        GOOGLE_API_KEY: 'g-google',
        TOKLIGENCE_GEMINI_BASE_URL: 'http://gem.local',
        SLUICE_ANTHROPIC_BASE_URL: 'http://ant.local',
      },
      emptyDir(),
    );
    const p = Object.fromEntries(r.providers.map((x) => [x.name, x]));
    assert.equal(p['openai']?.apiKey, 'sk-tok');
    assert.equal(p['anthropic']?.apiKey, 'sk-ant');
    assert.equal(p['anthropic']?.baseUrl, 'http://ant.local');
    assert.equal(p['gemini']?.apiKey, 'g-google');
    assert.equal(p['gemini']?.baseUrl, 'http://gem.local');
  });

  it('takes routes with fallback chains and aliases from the environment', () => {
    const r = loadRoutingConfig(
      { SLUICE_ROUTES: 'claude*=>anthropic|openai, gpt-*=>openai', SLUICE_MODEL_ALIASES: 'fast=>gpt-5-mini' },
      emptyDir(),
    );
    assert.deepEqual(r.routes.slice(0, 2), [
      { pattern: 'claude*', providers: ['anthropic', 'openai'] },
      { pattern: 'gpt-*', providers: ['openai'] },
    ]);
    assert.ok(
      r.routes.some((x) => x.pattern === 'loopback'),
      'loopback stays routed',
    );
    assert.deepEqual(r.aliases, { fast: 'gpt-5-mini' });
    assert.throws(() => loadRoutingConfig({ SLUICE_ROUTES: 'claude*' }, emptyDir()), /SLUICE_ROUTES/);
    assert.throws(
      () => loadRoutingConfig({ SLUICE_ROUTES: 'x=>nowhere' }, emptyDir()),
      /unknown provider "nowhere"/,
    );
    assert.throws(() => loadRoutingConfig({ SLUICE_WORK_MODE: 'sometimes' }, emptyDir()), /SLUICE_WORK_MODE/);
  });

  it('reads sluice.yaml: named providers, routes with fallback, aliases; the environment wins', () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, 'sluice.yaml'),
      [
        'work_mode: translation',
        'providers:',
        '  - { name: local-vllm, type: openai, base_url: "http://127.0.0.1:8000/v1" }',
        '  - { name: openai, type: openai, base_url: "http://file.example/v1", api_key: sk-file }',
        'routes:',
        '  - { model: "llama-*", provider: local-vllm, fallback: [openai] }',
        'aliases: { coder: llama-3-70b }',
      ].join('\n'),
    );
    const r = loadRoutingConfig({ SLUICE_OPENAI_API_KEY: 'sk-env' }, dir);
    assert.equal(r.file, join(dir, 'sluice.yaml'));
    assert.equal(r.workMode, 'translation');
    const openai = r.providers.find((p) => p.name === 'openai')!;
    assert.equal(openai.apiKey, 'sk-env', 'environment beats file');
    assert.equal(openai.baseUrl, 'http://file.example/v1');
    assert.deepEqual(r.routes[0], { pattern: 'llama-*', providers: ['local-vllm', 'openai'] });
    assert.deepEqual(r.aliases, { coder: 'llama-3-70b' });
    assert.equal(loadRoutingConfig({ SLUICE_WORK_MODE: 'auto' }, dir).workMode, 'auto');
  });

  it('fails on an invalid file, naming the bad key', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'bad.yaml'), 'providers:\n  - { name: x, type: opneai }\n');
    assert.throws(
      () => loadRoutingConfig({ SLUICE_CONFIG: 'bad.yaml' }, dir),
      (e: unknown) => e instanceof ConfigError && /providers\.0\.type/.test(e.message),
    );
    writeFileSync(join(dir, 'bad2.yaml'), 'routez: []\n');
    assert.throws(() => loadRoutingConfig({ SLUICE_CONFIG: 'bad2.yaml' }, dir), /routez|Unrecognized key/);
    assert.throws(() => loadRoutingConfig({ SLUICE_CONFIG: 'missing.yaml' }, dir), /does not exist/);
  });

  it('describes itself without keys', () => {
    const text = JSON.stringify(
      describeRouting(loadRoutingConfig({ SLUICE_OPENAI_API_KEY: 'sk-secret-value' }, emptyDir())),
    );
    assert.ok(!text.includes('sk-secret-value'));
    assert.match(text, /"apiKey":"set"/);
  });
});
