import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { loadRoutingConfig, type RoutingConfig } from './routing';

/**
 * Every setting Sluice reads from the environment, validated once at boot. Apps receive the parsed
 * object; nothing else reads `process.env` (the entry points pass it in here).
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const sharedSchema = z.object({
  SLUICE_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: optionalString,
  KAFKA_BROKERS: optionalString,
  SLUICE_MASTER_KEY: optionalString,
  SLUICE_HOST: z.string().default('127.0.0.1'),
  SLUICE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLUICE_USAGE_TOPIC: z.string().default('sluice.usage.v1'),
  SLUICE_KAFKA_PARTITIONS: positiveInt(6),
  SLUICE_MIGRATIONS_DIR: optionalString,
});

const gatewaySchema = z.object({
  SLUICE_GATEWAY_PORT: port(8081),
  SLUICE_MAX_BODY_BYTES: positiveInt(32 * 1024 * 1024),
  SLUICE_RESPONSES_TTL_HOURS: positiveInt(720),
  SLUICE_RESPONSES_VIA_CHAT: z.string().default(''),
  SLUICE_USAGE_FLUSH_MS: positiveInt(20),
  SLUICE_USAGE_BATCH_SIZE: positiveInt(500),
  SLUICE_USAGE_BUFFER_LIMIT: positiveInt(200_000),
  SLUICE_USAGE_TOKEN_COUNT_MAX_BYTES: positiveInt(256 * 1024),
  SLUICE_KEY_CACHE_TTL_MS: positiveInt(30_000),
  SLUICE_SHUTDOWN_DRAIN_MS: positiveInt(10_000),
  SLUICE_DUPLICATE_TOOL_GUARD: z
    .string()
    .regex(/^(off|\d+\/\d+\/\d+)$/, 'must be "off" or warn/insist/reject thresholds like 3/4/5')
    .optional(),
  TOKLIGENCE_DUPLICATE_TOOL_DETECTION: z.enum(['true', 'false']).optional(),
  SLUICE_MULTI_PORT: z.enum(['true', 'false', '1', '0']).default('false'),
  SLUICE_FETCH_IMAGE_URLS: z.enum(['true', 'false']).default('false'),
  SLUICE_GATEWAY_DIRECT_LANE: z.enum(['on', 'off']).default('on'),
  SLUICE_GATEWAY_WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)]).default(1),
  SLUICE_FIREWALL_MODE: z.enum(['off', 'monitor', 'enforce', 'redact']).default('monitor'),
  SLUICE_FIREWALL_ACTIONS: z
    .string()
    .regex(
      /^\s*([a-z0-9_]+\s*=\s*(redact|block|monitor|ignore)\s*(,\s*|$))*$/,
      'must be detector=redact|block|monitor|ignore, comma separated',
    )
    .default(''),
  SLUICE_FIREWALL_KEY: optionalString,
  SLUICE_FIREWALL_ANALYZER_URL: z.string().url().optional(),
  SLUICE_FIREWALL_ANALYZER_TOKEN: optionalString,
  SLUICE_FIREWALL_ANALYZER_TIMEOUT_MS: positiveInt(800),
  SLUICE_FIREWALL_ANALYZER_ON_ERROR: z.enum(['allow', 'block']).default('allow'),
  SLUICE_LEDGER_URL: z.string().url().optional(),
  SLUICE_BUDGETS: z.enum(['on', 'off']).default('on'),
  SLUICE_BUDGET_REFRESH_MS: positiveInt(5_000),
  SLUICE_BUDGET_MAX_IN_FLIGHT: positiveInt(1024),
  SLUICE_BUDGET_PRICE_TTL_MS: positiveInt(60_000),
  SLUICE_ADMIN_PORT: port(8079),
  SLUICE_OPENAI_PORT: port(8082),
  SLUICE_ANTHROPIC_PORT: port(8083),
  SLUICE_GEMINI_PORT: port(8084),
});

const ledgerSchema = z.object({
  SLUICE_LEDGER_PORT: port(8090),
  SLUICE_LEDGER_GROUP: z.string().default('sluice-ledger'),
  SLUICE_PROJECTION_BATCH: positiveInt(1000),
  SLUICE_PROJECTION_IDLE_MS: positiveInt(100),
  SLUICE_PROJECTION_THREADS: z.coerce.number().int().min(0).max(3).default(1),
  SLUICE_BUDGET_LEASE_BPS: z.coerce.number().int().min(1).max(10_000).default(500),
  SLUICE_BUDGET_LEASE_TTL_S: positiveInt(300),
  SLUICE_BUDGET_SWEEP_MS: positiveInt(10_000),
  // Budget alerts pushed to an HTTP webhook (off without a URL); the secret signs each body (HMAC-SHA256).
  SLUICE_BUDGET_ALERT_WEBHOOK_URL: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
    .optional(),
  SLUICE_BUDGET_ALERT_WEBHOOK_SECRET: optionalString,
  SLUICE_BUDGET_ALERT_WEBHOOK_TIMEOUT_MS: positiveInt(10_000),
  SLUICE_BUDGET_ALERT_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  SLUICE_BUDGET_ALERT_WEBHOOK_BACKOFF_MS: positiveInt(5_000),
  SLUICE_BUDGET_ALERT_WEBHOOK_BACKOFF_MAX_MS: positiveInt(3_600_000),
  SLUICE_BUDGET_ALERT_WEBHOOK_POLL_MS: positiveInt(1_000),
});

const marketplaceSchema = z.object({
  SLUICE_MARKETPLACE_PORT: port(8091),
});

export type Mode = 'standalone' | 'distributed';

export type SharedConfig = {
  mode: Mode;
  dataDir: string;
  /** Postgres URL; in standalone mode the embedded database's URL is filled in at start. */
  databaseUrl: string | undefined;
  kafkaBrokers: string[] | undefined;
  masterKey: string | undefined;
  host: string;
  logLevel: z.infer<typeof sharedSchema>['SLUICE_LOG_LEVEL'];
  usageTopic: string;
  kafkaPartitions: number;
  migrationsDir: string;
};

export type GatewayConfig = SharedConfig & {
  port: number;
  routing: RoutingConfig;
  maxBodyBytes: number;
  /** How long translated Responses answers are kept for `previous_response_id` and GET. */
  responsesTtlHours: number;
  /** OpenAI-family providers without `/v1/responses`: Responses requests go to their Chat Completions. */
  responsesViaChat: string[];
  usageFlushMs: number;
  usageBatchSize: number;
  usageBufferLimit: number;
  /** Requests with a larger body are not counted by the gateway's tokenizer (the usage event says null). */
  usageTokenCountMaxBytes: number;
  keyCacheTtlMs: number;
  shutdownDrainMs: number;
  /**
   * Download http(s) image URLs of requests going to Gemini (which reads only its own file URIs) and
   * send them inline. Off by default: the gateway would fetch URLs its callers name (SSRF).
   */
  fetchImageUrls: boolean;
  /** Gateway processes (Node cluster) sharing the port; `auto` = one per core. Distributed mode only. */
  workers: number;
  /** The data-plane POST routes served straight from node:http (apps/gateway/src/direct); off: all through Fastify and Nest. */
  directLane: boolean;
  /** The prompt firewall: global mode, per-detector action overrides, placeholder/fingerprint key. */
  firewall: {
    mode: 'off' | 'monitor' | 'enforce' | 'redact';
    actions: Record<string, 'redact' | 'block' | 'monitor' | 'ignore'>;
    key: string | undefined;
    /** Optional external analyzer (names, addresses: NLP) over the Presidio-compatible HTTP filter protocol. */
    analyzer: {
      url: string;
      token: string | undefined;
      timeoutMs: number;
      onError: 'allow' | 'block';
    } | null;
  };
  /**
   * Budget enforcement with spend leases from the ledger (docs/ledger-design.md, "Spend leases"). Enforced
   * when on and the ledger is known: `ledgerUrl` in distributed mode, the same process in standalone.
   */
  budgets: {
    enabled: boolean;
    ledgerUrl: string | undefined;
    /** How stale a (team, key)'s budget list may get before a background refresh. */
    refreshMs: number;
    /** Requests in flight per hard budget on this instance: with the largest request cost, bounds overspend. */
    maxInFlight: number;
    priceTtlMs: number;
  };
  /** Multi-port mode (as in the Tokligence gateway): one port per API family besides the facade. */
  multiPort: { admin: number; openai: number; anthropic: number; gemini: number } | null;
  /** Repeated identical tool calls: warn, insist, reject at these run lengths (null: off). */
  duplicateToolGuard: { warn: number; insist: number; reject: number } | null;
};

export type LedgerConfig = SharedConfig & {
  port: number;
  consumerGroup: string;
  projectionBatch: number;
  projectionIdleMs: number;
  /** Worker threads for the projection loops, 0 to 3 (distributed mode; the embedded database keeps them in-process). */
  projectionThreads: 0 | 1 | 2 | 3;
  /** Spend leases: each grant's share of the limit (basis points), its lifetime, the expiry sweep's period. */
  budgets: {
    leaseShareBps: number;
    leaseTtlSeconds: number;
    sweepMs: number;
    /** Where budget alerts are pushed; null: recorded and listed only. */
    alertWebhook: BudgetAlertWebhookConfig | null;
  };
};

export type BudgetAlertWebhookConfig = {
  url: string;
  /** Signs each body (`Sluice-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`); never logged. */
  secret: string | undefined;
  /** One attempt's limit (connect, headers and body). */
  timeoutMs: number;
  /** Attempts before an alert's delivery is given up and recorded as failed. */
  maxAttempts: number;
  /** Retry delay after the first failure, doubling per attempt up to `backoffMaxMs` (with jitter). */
  backoffMs: number;
  backoffMaxMs: number;
  /** How often each instance looks for deliveries due (a new alert also wakes it at once). */
  pollMs: number;
};

export type MarketplaceConfig = SharedConfig & { port: number };

export type StandaloneConfig = {
  gateway: GatewayConfig;
  ledger: LedgerConfig;
  marketplace: MarketplaceConfig;
};

function parse<S extends z.ZodTypeAny>(schema: S, env: Env): z.infer<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return result.data as z.infer<S>;
}

function shared(env: Env, mode: Mode, cwd: string): SharedConfig {
  const s = parse(sharedSchema, env);
  const brokers = s.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (mode === 'distributed') {
    if (!s.DATABASE_URL)
      throw new ConfigError('invalid configuration: DATABASE_URL is required in distributed mode');
    if (!brokers || brokers.length === 0)
      throw new ConfigError('invalid configuration: KAFKA_BROKERS is required in distributed mode');
    if (!s.SLUICE_MASTER_KEY) {
      throw new ConfigError(
        'invalid configuration: SLUICE_MASTER_KEY is required in distributed mode (every service must share it)',
      );
    }
  }
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(cwd, p));
  return {
    mode,
    dataDir: abs(s.SLUICE_DATA_DIR),
    databaseUrl: s.DATABASE_URL,
    kafkaBrokers: brokers,
    masterKey: s.SLUICE_MASTER_KEY,
    host: s.SLUICE_HOST,
    logLevel: s.SLUICE_LOG_LEVEL,
    usageTopic: s.SLUICE_USAGE_TOPIC,
    kafkaPartitions: s.SLUICE_KAFKA_PARTITIONS,
    migrationsDir: s.SLUICE_MIGRATIONS_DIR ? abs(s.SLUICE_MIGRATIONS_DIR) : join(repoRoot(), 'migrations'),
  };
}

export function loadGatewayConfig(env: Env, mode: Mode, cwd = process.cwd()): GatewayConfig {
  const g = parse(gatewaySchema, env);
  return {
    ...shared(env, mode, cwd),
    port: g.SLUICE_GATEWAY_PORT,
    routing: loadRoutingConfig(env, cwd),
    maxBodyBytes: g.SLUICE_MAX_BODY_BYTES,
    responsesTtlHours: g.SLUICE_RESPONSES_TTL_HOURS,
    responsesViaChat: g.SLUICE_RESPONSES_VIA_CHAT.split(',')
      .map((n) => n.trim())
      .filter((n) => n !== ''),
    usageFlushMs: g.SLUICE_USAGE_FLUSH_MS,
    usageBatchSize: g.SLUICE_USAGE_BATCH_SIZE,
    usageBufferLimit: g.SLUICE_USAGE_BUFFER_LIMIT,
    usageTokenCountMaxBytes: g.SLUICE_USAGE_TOKEN_COUNT_MAX_BYTES,
    keyCacheTtlMs: g.SLUICE_KEY_CACHE_TTL_MS,
    shutdownDrainMs: g.SLUICE_SHUTDOWN_DRAIN_MS,
    fetchImageUrls: g.SLUICE_FETCH_IMAGE_URLS === 'true',
    directLane: g.SLUICE_GATEWAY_DIRECT_LANE === 'on',
    workers: g.SLUICE_GATEWAY_WORKERS === 'auto' ? availableParallelism() : g.SLUICE_GATEWAY_WORKERS,
    firewall: {
      mode: g.SLUICE_FIREWALL_MODE,
      actions: Object.fromEntries(
        g.SLUICE_FIREWALL_ACTIONS.split(',')
          .map((pair) => pair.split('=').map((x) => x.trim()))
          .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== '')
          .map(([k, v]) => [k, v as 'redact' | 'block' | 'monitor' | 'ignore']),
      ),
      key: g.SLUICE_FIREWALL_KEY,
      analyzer: g.SLUICE_FIREWALL_ANALYZER_URL
        ? {
            url: g.SLUICE_FIREWALL_ANALYZER_URL,
            token: g.SLUICE_FIREWALL_ANALYZER_TOKEN,
            timeoutMs: g.SLUICE_FIREWALL_ANALYZER_TIMEOUT_MS,
            onError: g.SLUICE_FIREWALL_ANALYZER_ON_ERROR,
          }
        : null,
    },
    budgets: {
      enabled: g.SLUICE_BUDGETS === 'on',
      ledgerUrl: g.SLUICE_LEDGER_URL,
      refreshMs: g.SLUICE_BUDGET_REFRESH_MS,
      maxInFlight: g.SLUICE_BUDGET_MAX_IN_FLIGHT,
      priceTtlMs: g.SLUICE_BUDGET_PRICE_TTL_MS,
    },
    multiPort:
      g.SLUICE_MULTI_PORT === 'true' || g.SLUICE_MULTI_PORT === '1'
        ? {
            admin: g.SLUICE_ADMIN_PORT,
            openai: g.SLUICE_OPENAI_PORT,
            anthropic: g.SLUICE_ANTHROPIC_PORT,
            gemini: g.SLUICE_GEMINI_PORT,
          }
        : null,
    duplicateToolGuard: guardThresholds(
      g.SLUICE_DUPLICATE_TOOL_GUARD ?? (g.TOKLIGENCE_DUPLICATE_TOOL_DETECTION === 'true' ? '3/4/5' : 'off'),
    ),
  };
}

function guardThresholds(value: string): GatewayConfig['duplicateToolGuard'] {
  if (value === 'off') return null;
  const [warn, insist, reject] = value.split('/').map(Number) as [number, number, number];
  if (!(warn >= 2 && warn <= insist && insist <= reject)) {
    throw new ConfigError(
      `invalid configuration: SLUICE_DUPLICATE_TOOL_GUARD thresholds must rise from at least 2 (got ${value})`,
    );
  }
  return { warn, insist, reject };
}

export function loadLedgerConfig(env: Env, mode: Mode, cwd = process.cwd()): LedgerConfig {
  const l = parse(ledgerSchema, env);
  return {
    ...shared(env, mode, cwd),
    port: l.SLUICE_LEDGER_PORT,
    consumerGroup: l.SLUICE_LEDGER_GROUP,
    projectionBatch: l.SLUICE_PROJECTION_BATCH,
    projectionIdleMs: l.SLUICE_PROJECTION_IDLE_MS,
    projectionThreads: l.SLUICE_PROJECTION_THREADS as 0 | 1 | 2 | 3,
    budgets: {
      leaseShareBps: l.SLUICE_BUDGET_LEASE_BPS,
      leaseTtlSeconds: l.SLUICE_BUDGET_LEASE_TTL_S,
      sweepMs: l.SLUICE_BUDGET_SWEEP_MS,
      alertWebhook:
        l.SLUICE_BUDGET_ALERT_WEBHOOK_URL === undefined || l.SLUICE_BUDGET_ALERT_WEBHOOK_URL.trim() === ''
          ? null
          : {
              url: l.SLUICE_BUDGET_ALERT_WEBHOOK_URL,
              secret: l.SLUICE_BUDGET_ALERT_WEBHOOK_SECRET,
              timeoutMs: l.SLUICE_BUDGET_ALERT_WEBHOOK_TIMEOUT_MS,
              maxAttempts: l.SLUICE_BUDGET_ALERT_WEBHOOK_MAX_ATTEMPTS,
              backoffMs: l.SLUICE_BUDGET_ALERT_WEBHOOK_BACKOFF_MS,
              backoffMaxMs: l.SLUICE_BUDGET_ALERT_WEBHOOK_BACKOFF_MAX_MS,
              pollMs: l.SLUICE_BUDGET_ALERT_WEBHOOK_POLL_MS,
            },
    },
  };
}

export function loadMarketplaceConfig(env: Env, mode: Mode, cwd = process.cwd()): MarketplaceConfig {
  const m = parse(marketplaceSchema, env);
  return { ...shared(env, mode, cwd), port: m.SLUICE_MARKETPLACE_PORT };
}

export function loadStandaloneConfig(env: Env, cwd = process.cwd()): StandaloneConfig {
  return {
    gateway: loadGatewayConfig(env, 'standalone', cwd),
    ledger: loadLedgerConfig(env, 'standalone', cwd),
    marketplace: loadMarketplaceConfig(env, 'standalone', cwd),
  };
}

/** For the start banner: the effective configuration with secrets masked. */
export function describeConfig(config: SharedConfig & { port: number }): Record<string, string | number> {
  return {
    mode: config.mode,
    port: config.port,
    host: config.host,
    dataDir: config.dataDir,
    database: config.databaseUrl ? maskUrl(config.databaseUrl) : 'embedded (PGlite)',
    transport: config.kafkaBrokers ? `kafka ${config.kafkaBrokers.join(',')}` : 'in-process',
    masterKey: config.masterKey ? mask(config.masterKey) : 'generated (data folder)',
  };
}

export function mask(secret: string): string {
  return secret.length <= 8 ? '****' : `${secret.slice(0, 4)}…${secret.slice(-2)}`;
}

function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return '****';
  }
}

/** The repository (or installed package) root: the nearest folder above this file with migrations/. */
export function repoRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'migrations')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new ConfigError('cannot find the migrations folder; set SLUICE_MIGRATIONS_DIR');
    dir = up;
  }
}
