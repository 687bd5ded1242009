import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandalone, type Standalone } from '@sluice/apps/standalone';
import { MockUpstream } from '@sluice/testing';
import { RecordingProxy } from './recording-proxy';

/** Upstream keys the mock checks like the real providers do. */
const UPSTREAM_KEYS = { openai: 'sk-up-openai', anthropic: 'sk-up-anthropic', gemini: 'up-gemini' };

/**
 * The gateway in standalone mode (embedded database, in-process transport), every provider's base URL
 * pointed at the scripted mock, and a recording proxy in front of it for the agent to talk to.
 */
export interface AgentHarness {
  mock: MockUpstream;
  gateway: Standalone;
  proxy: RecordingProxy;
  /** Where the agent is pointed: the proxy in front of the gateway. */
  baseUrl: string;
  /** The gateway's admin key (paid by the built-in default team). */
  apiKey: string;
  /** A new empty directory, removed by close(). */
  scratchDir(prefix: string): string;
  close(): Promise<void>;
}

export async function startAgentHarness(): Promise<AgentHarness> {
  const dirs: string[] = [];
  // realpath: agents report and compare absolute paths, and /tmp may be a symlink elsewhere.
  const scratchDir = (prefix: string): string => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), `sluice-agents-${prefix}-`)));
    dirs.push(dir);
    return dir;
  };
  const dataDir = scratchDir('data');
  const mock = await MockUpstream.start({ keys: UPSTREAM_KEYS });
  let gateway: Standalone | undefined;
  let proxy: RecordingProxy;
  try {
    gateway = await startStandalone(
      {
        SLUICE_DATA_DIR: dataDir,
        SLUICE_GATEWAY_PORT: '0',
        SLUICE_LEDGER_PORT: '0',
        SLUICE_MARKETPLACE_PORT: '0',
        SLUICE_LOG_LEVEL: 'warn',
        SLUICE_OPENAI_BASE_URL: `${mock.url}/v1`,
        SLUICE_OPENAI_API_KEY: UPSTREAM_KEYS.openai,
        SLUICE_ANTHROPIC_BASE_URL: mock.url,
        SLUICE_ANTHROPIC_API_KEY: UPSTREAM_KEYS.anthropic,
        SLUICE_GEMINI_BASE_URL: mock.url,
        SLUICE_GEMINI_API_KEY: UPSTREAM_KEYS.gemini,
      },
      () => undefined,
    );
    proxy = await RecordingProxy.start(gateway.urls.gateway);
  } catch (err) {
    // A half-started harness must not keep the test process alive.
    await gateway?.stop();
    await mock.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const started = gateway;
  return {
    mock,
    gateway: started,
    proxy,
    baseUrl: proxy.url,
    apiKey: gateway.masterKey,
    scratchDir,
    async close() {
      await proxy.close();
      await started.stop();
      await mock.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
