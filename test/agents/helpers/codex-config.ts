import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codexLauncher, runAgent, SYSTEM_PATH } from './agent-process';

/** The name of the environment variable Codex reads the gateway key from (sent as Authorization: Bearer). */
export const CODEX_KEY_ENV = 'SLUICE_API_KEY';

/**
 * Writes `<codexHome>/config.toml`: Sluice as the model provider over the Responses API, no retries
 * (an upstream error ends the run at once), and analytics, plugins and the update check off so
 * that Codex reaches nothing but the gateway.
 */
export function writeCodexConfig(
  codexHome: string,
  opts: { baseUrl: string; model: string; modelCatalogPath?: string },
): void {
  const lines = [
    `model = ${JSON.stringify(opts.model)}`,
    'model_provider = "sluice"',
    'approval_policy = "never"',
    'sandbox_mode = "workspace-write"',
    'check_for_update_on_startup = false',
    ...(opts.modelCatalogPath === undefined
      ? []
      : [`model_catalog_json = ${JSON.stringify(opts.modelCatalogPath)}`]),
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[features]',
    'plugins = false',
    '',
    '[model_providers.sluice]',
    'name = "sluice"',
    `base_url = ${JSON.stringify(`${opts.baseUrl}/v1`)}`,
    `env_key = "${CODEX_KEY_ENV}"`,
    'wire_api = "responses"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ];
  writeFileSync(join(codexHome, 'config.toml'), lines.join('\n'));
}

/** The environment of a Codex run: scratch HOME and CODEX_HOME, the gateway key, nothing else. */
export function codexEnv(codexHome: string, apiKey: string): Record<string, string> {
  return {
    PATH: SYSTEM_PATH,
    HOME: codexHome,
    CODEX_HOME: codexHome,
    LANG: 'C.UTF-8',
    [CODEX_KEY_ENV]: apiKey,
  };
}

interface CatalogModel {
  slug: string;
  display_name?: string;
  apply_patch_tool_type?: string | null;
  /** `code_mode_only` models get their tools in an `additional_tools` input item, not as `tools`. */
  tool_mode?: string | null;
}

/**
 * A model catalog (`model_catalog_json`) that describes `slug` like Codex's own catalog describes
 * its GPT models with the freeform `apply_patch` tool. Codex knows nothing of Claude models and
 * gives unknown names fallback metadata without `apply_patch`; a user who wants Codex's patch tool
 * on Claude declares the model this way. The template is a model with ordinary top-level tools
 * (gpt-5.5 in Codex 0.171.0), not one of the "code mode" models whose tools travel in the input. The catalog is rendered by the installed Codex itself
 * (`codex debug models`, offline), so it always matches the binary.
 */
export async function writeFreeformPatchCatalog(codexHome: string, slug: string): Promise<string> {
  const run = await runAgent({
    command: process.execPath,
    args: [codexLauncher(), 'debug', 'models'],
    cwd: codexHome,
    env: codexEnv(codexHome, 'unused'),
    timeoutMs: 60_000,
  });
  if (run.exitCode !== 0) throw new Error(`codex debug models failed: ${run.stderr}`);
  const catalog = JSON.parse(run.stdout) as { models: CatalogModel[] };
  const template = catalog.models.find(
    (m) => m.apply_patch_tool_type === 'freeform' && (m.tool_mode ?? undefined) === undefined,
  );
  if (template === undefined) {
    throw new Error('no model with top-level tools and the freeform apply_patch tool in the Codex catalog');
  }
  const path = join(codexHome, 'model-catalog.json');
  writeFileSync(path, JSON.stringify({ models: [{ ...template, slug, display_name: slug }] }));
  return path;
}
