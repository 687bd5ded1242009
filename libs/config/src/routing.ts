import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, type Env } from './config';

export type ProviderFamily = 'openai' | 'anthropic' | 'gemini' | 'loopback';
export type WorkMode = 'auto' | 'passthrough' | 'translation';

export type ProviderConfig = {
  name: string;
  family: ProviderFamily;
  baseUrl: string;
  apiKey: string | undefined;
  /** Extra headers sent upstream (e.g. an OpenAI-compatible server's auth scheme). */
  headers: Record<string, string>;
  timeoutMs: number;
};

/** `pattern` is an exact model name or a `*` wildcard; `providers` is the fallback chain, in order. */
export type RouteRule = { pattern: string; providers: string[] };

export type RoutingConfig = {
  providers: ProviderConfig[];
  routes: RouteRule[];
  aliases: Record<string, string>;
  workMode: WorkMode;
  /** Where the file came from, for the start banner (null: environment only). */
  file: string | null;
};

export const DEFAULT_ROUTES: readonly RouteRule[] = [
  { pattern: 'loopback', providers: ['loopback'] },
  { pattern: 'gpt-*', providers: ['openai'] },
  { pattern: 'o1*', providers: ['openai'] },
  { pattern: 'o3*', providers: ['openai'] },
  { pattern: 'o4*', providers: ['openai'] },
  { pattern: 'chatgpt-*', providers: ['openai'] },
  { pattern: 'text-embedding-*', providers: ['openai'] },
  { pattern: 'claude*', providers: ['anthropic'] },
  { pattern: 'gemini*', providers: ['gemini'] },
];

const FAMILY_DEFAULT_URL: Record<Exclude<ProviderFamily, 'loopback'>, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

const providerFileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'letters, digits, _ and -'),
    type: z.enum(['openai', 'anthropic', 'gemini', 'loopback']),
    base_url: z.string().url().optional(),
    api_key: z.string().optional(),
    api_key_env: z.string().optional(),
    headers: z.record(z.string()).optional(),
    timeout_ms: z.number().int().positive().optional(),
  })
  .strict();

const fileSchema = z
  .object({
    work_mode: z.enum(['auto', 'passthrough', 'translation']).optional(),
    providers: z.array(providerFileSchema).optional(),
    routes: z
      .array(
        z
          .object({
            model: z.string().min(1),
            provider: z.string().optional(),
            fallback: z.array(z.string()).optional(),
            providers: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
    aliases: z.record(z.string()).optional(),
  })
  .strict();

function first(env: Env, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** `SLUICE_X`, then `TOKLIGENCE_X` (users of that gateway keep their settings), then the plain names. */
function setting(env: Env, key: string, plain: readonly string[] = []): string | undefined {
  return first(env, [`SLUICE_${key}`, `TOKLIGENCE_${key}`, ...plain]);
}

/** `a=>b, c=>d|e` to pairs; a malformed entry names itself. */
export function parseArrowList(value: string, what: string): Array<[string, string[]]> {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      const m = /^(.+?)\s*=>\s*(.+)$/.exec(entry);
      if (!m) throw new ConfigError(`invalid configuration: ${what}: "${entry}" is not "pattern=>target"`);
      return [
        m[1]!.trim(),
        m[2]!
          .split('|')
          .map((t) => t.trim())
          .filter((t) => t.length > 0),
      ];
    });
}

/**
 * Providers, routes and aliases, from `sluice.yaml` (or `SLUICE_CONFIG`) and the environment; the
 * environment wins. Each provider family has one provider of its own name configured by the
 * environment (`openai`, `anthropic`, `gemini`, and the built-in `loopback`); the file may declare
 * more, of any family, under other names.
 */
export function loadRoutingConfig(env: Env, cwd = process.cwd()): RoutingConfig {
  const explicit = env['SLUICE_CONFIG'];
  const path = explicit
    ? isAbsolute(explicit)
      ? explicit
      : resolve(cwd, explicit)
    : resolve(cwd, 'sluice.yaml');
  let file: z.infer<typeof fileSchema> = {};
  let fileUsed: string | null = null;
  if (existsSync(path)) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError(
        `invalid configuration file ${path}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const parsed = fileSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError(
        `invalid configuration file ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`,
      );
    }
    file = parsed.data;
    fileUsed = path;
  } else if (explicit) {
    throw new ConfigError(`invalid configuration: SLUICE_CONFIG names ${path}, which does not exist`);
  }

  const timeoutMs = Number(setting(env, 'UPSTREAM_TIMEOUT_MS') ?? 600_000);
  const envProviders: ProviderConfig[] = [
    {
      name: 'openai',
      family: 'openai',
      baseUrl: setting(env, 'OPENAI_BASE_URL') ?? FAMILY_DEFAULT_URL.openai,
      apiKey: setting(env, 'OPENAI_API_KEY', ['OPENAI_API_KEY']),
      headers: {},
      timeoutMs,
    },
    {
      name: 'anthropic',
      family: 'anthropic',
      baseUrl: setting(env, 'ANTHROPIC_BASE_URL') ?? FAMILY_DEFAULT_URL.anthropic,
      apiKey: setting(env, 'ANTHROPIC_API_KEY', ['ANTHROPIC_API_KEY']),
      headers: {},
      timeoutMs,
    },
    {
      name: 'gemini',
      family: 'gemini',
      baseUrl: setting(env, 'GEMINI_BASE_URL') ?? FAMILY_DEFAULT_URL.gemini,
      apiKey: setting(env, 'GEMINI_API_KEY', ['GEMINI_API_KEY', 'GOOGLE_API_KEY']),
      headers: {},
      timeoutMs,
    },
    { name: 'loopback', family: 'loopback', baseUrl: 'loopback:', apiKey: undefined, headers: {}, timeoutMs },
  ];
  const byName = new Map(envProviders.map((p) => [p.name, p]));
  for (const p of file.providers ?? []) {
    // A file provider with an environment provider's name (openai, anthropic, gemini): the
    // environment's base URL and key, when set, beat the file's.
    const envSide = envProviders.find((e) => e.name === p.name && e.family === p.type);
    const envBaseUrl = envSide ? setting(env, `${p.name.toUpperCase()}_BASE_URL`) : undefined;
    const envKey = envSide?.apiKey;
    const family = p.type;
    byName.set(p.name, {
      name: p.name,
      family,
      baseUrl: envBaseUrl ?? p.base_url ?? (family === 'loopback' ? 'loopback:' : FAMILY_DEFAULT_URL[family]),
      apiKey: envKey ?? (p.api_key_env ? env[p.api_key_env] : undefined) ?? p.api_key,
      headers: p.headers ?? {},
      timeoutMs: p.timeout_ms ?? timeoutMs,
    });
  }
  for (const p of byName.values()) {
    if (p.family === 'loopback') continue;
    try {
      new URL(p.baseUrl);
    } catch {
      throw new ConfigError(
        `invalid configuration: provider ${p.name}: base URL "${p.baseUrl}" is not a URL`,
      );
    }
  }

  const envRoutes = setting(env, 'ROUTES');
  let routes: RouteRule[];
  if (envRoutes) {
    routes = parseArrowList(envRoutes, 'SLUICE_ROUTES').map(([pattern, providers]) => ({
      pattern,
      providers,
    }));
  } else if (file.routes) {
    routes = file.routes.map((r) => ({
      pattern: r.model,
      providers: [...(r.providers ?? []), ...(r.provider ? [r.provider] : []), ...(r.fallback ?? [])],
    }));
  } else {
    routes = [...DEFAULT_ROUTES];
  }
  if (!routes.some((r) => r.pattern === 'loopback'))
    routes.push({ pattern: 'loopback', providers: ['loopback'] });
  for (const r of routes) {
    if (r.providers.length === 0)
      throw new ConfigError(`invalid configuration: route "${r.pattern}" names no provider`);
    for (const p of r.providers) {
      if (!byName.has(p))
        throw new ConfigError(`invalid configuration: route "${r.pattern}" names unknown provider "${p}"`);
    }
  }

  const aliases: Record<string, string> = { ...(file.aliases ?? {}) };
  const envAliases = setting(env, 'MODEL_ALIASES');
  if (envAliases) {
    for (const [alias, targets] of parseArrowList(envAliases, 'SLUICE_MODEL_ALIASES'))
      aliases[alias] = targets[0]!;
  }

  const mode = setting(env, 'WORK_MODE') ?? file.work_mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'passthrough' && mode !== 'translation') {
    throw new ConfigError(
      `invalid configuration: SLUICE_WORK_MODE must be auto, passthrough or translation (got "${mode}")`,
    );
  }
  return { providers: [...byName.values()], routes, aliases, workMode: mode, file: fileUsed };
}

/** For the start banner: providers and routes without their keys. */
export function describeRouting(r: RoutingConfig): Record<string, unknown> {
  return {
    file: r.file,
    workMode: r.workMode,
    providers: r.providers.map((p) => ({
      name: p.name,
      type: p.family,
      baseUrl: p.baseUrl,
      apiKey: p.apiKey ? 'set' : 'none',
    })),
    routes: r.routes.map((x) => `${x.pattern}=>${x.providers.join('|')}`),
    aliases: r.aliases,
  };
}
