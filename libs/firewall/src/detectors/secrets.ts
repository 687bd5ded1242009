// Secret formats. Shapes follow the public rule sets summarised in the peer study (gitleaks, TruffleHog,
// vendor docs); offline checks are added wherever the format carries one. Every pattern is run anchored at a
// trigger position and is built from single character classes with bounded quantifiers separated by
// literals, so a match attempt costs at most O(longest quantifier bound) and never backtracks
// exponentially (see docs/firewall.md, "Why the patterns are linear").
import {
  isDecodableJwt,
  isValidAgeSecretKey,
  isValidCrc32Base62Token,
  isValidGitlabRoutableToken,
  shannonEntropy,
} from '../validators/checksums';
import { type Assignment, type DetectorDef, info, prefixed } from './detector-def';

/** Boundary after URL-safe tokens. */
const B = '(?![A-Za-z0-9_-])';

function anchoredBefore(
  base: Parameters<typeof info>[0],
  literal: string,
  back: number,
  pattern: RegExp,
  validate?: (value: string) => boolean,
): DetectorDef {
  // For formats whose literal sits at a fixed distance inside the token (Terraform `.atlasv1.`, Azure
  // `Q~`, Mailchimp `-us`): start the sticky match `back` characters before the literal.
  const re = new RegExp(pattern.source, 'y');
  return {
    ...info(base),
    tier: 0,
    triggers: [{ type: 'literal', literal }],
    find(text, pos) {
      const start = pos - back;
      if (start < 0) return null;
      if (start > 0 && /[A-Za-z0-9_~.+/-]/.test(text.charAt(start - 1))) return null;
      re.lastIndex = start;
      const m = re.exec(text);
      if (!m || (validate && !validate(m[0]))) return null;
      return { start, end: start + m[0].length };
    },
  };
}

function gitlab(id: string, prefixes: string[], description: string): DetectorDef {
  const alt = prefixes.map((p) => p.replace(/[.-]/g, '\\$&')).join('|');
  return prefixed({
    id,
    description,
    check: 'checksum',
    prefixes,
    // Routable form first: payload, `.`, 2-char version, `.`, 2-char length and 7-char CRC32 (base36).
    pattern: new RegExp(
      `(?:${alt})(?:[A-Za-z0-9_-]{27,400}\\.[0-9a-z]{2}\\.[0-9a-z]{9}|[A-Za-z0-9_-]{20,50})(?![A-Za-z0-9_.-])`,
    ),
    validate: (v) => (v.includes('.') ? isValidGitlabRoutableToken(v) : true),
  });
}

const AWS_SECRET_SHAPE = /^[A-Za-z0-9/+]{40}$/;

function looksRandom(value: string, minEntropy: number): boolean {
  let classes = 0;
  if (/[a-z]/.test(value)) classes++;
  if (/[A-Z]/.test(value)) classes++;
  if (/[0-9]/.test(value)) classes++;
  if (/[^A-Za-z0-9]/.test(value)) classes++;
  return classes >= 2 && shannonEntropy(value) >= minEntropy;
}

const awsSecret: DetectorDef = {
  ...info({
    id: 'aws_secret_key',
    description:
      '40 base64 characters, either assigned to a key naming an AWS secret or within 512 characters of an AWS access key id',
    check: 'context',
  }),
  tier: 1,
  triggers: [{ type: 'assignment' }, { type: 'pairing' }],
  acceptAssignment: (a: Assignment) =>
    (a.key.includes('secretaccesskey') || (a.key.includes('aws') && a.key.includes('secret'))) &&
    AWS_SECRET_SHAPE.test(a.value) &&
    looksRandom(a.value, 3.5),
  pair(text, matches) {
    const out: { start: number; end: number }[] = [];
    const re = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
    let covered = 0;
    for (const m of [...matches].sort((a, b) => a.start - b.start)) {
      if (m.detectorId !== 'aws_access_key_id') continue;
      // Windows of neighbouring key ids overlap: search each stretch of text once.
      const from = Math.max(covered, m.start - 512);
      covered = Math.max(covered, m.end + 512);
      if (from >= covered) continue;
      const window = text.slice(from, Math.min(text.length, covered));
      re.lastIndex = 0;
      for (let r = re.exec(window); r; r = re.exec(window)) {
        if (looksRandom(r[0], 4) && /[0-9]/.test(r[0]) && /[a-z]/.test(r[0]) && /[A-Z]/.test(r[0]))
          out.push({ start: from + r.index, end: from + r.index + 40 });
      }
    }
    return out;
  },
};

const PLACEHOLDER_VALUE = new RegExp(
  '^(?:' +
    [
      '[x*.#_-]+',
      '(?:your|my|the|some|insert|enter|replace|put|add)[_-].*',
      '.*(?:example|sample|placeholder|dummy|changeme|redacted|xxxx|\\*\\*\\*).*',
      'true|false|null|none|undefined|nil',
      '\\$\\{.*|\\$[A-Za-z_][A-Za-z0-9_]*',
      '%[-#0-9.]*[sdifx]|%\\([a-z_]+\\)s|%[A-Z_]+%',
      '<.*>|\\{\\{.*\\}\\}',
      '(?:process\\.env|os\\.environ|env\\.|config\\.|settings\\.|secrets\\.).*',
    ].join('|') +
    ')$',
  'i',
);

const OWNED_PREFIX =
  /^(?:gh[pousr]_|github_pat_|npm_|gl(?:pat|dt|rt|cbt|ptt|ft|imt|agent|oas|ffct|soat)-|AGE-SECRET-KEY-1|eyJ|A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}$|sk-(?:proj|svcacct|admin|ant)-)/;

const genericSecret: DetectorDef = {
  ...info({
    id: 'generic_secret',
    label: 'SECRET',
    description:
      'a value assigned to a key naming a secret (password, secret, token, api key, credential, private key): ' +
      'passwords need 8+ characters of two classes, other values 16+ characters with Shannon entropy >= 3.5 bits/char',
    check: 'entropy',
  }),
  tier: 2,
  triggers: [{ type: 'assignment' }],
  acceptAssignment(a: Assignment) {
    const v = a.value;
    // A value in a format whose own detector checks it (checksum, structure) belongs to that detector:
    // when it failed there (a documentation token, a redacted or fabricated one) the generic rule does
    // not take it either.
    if (OWNED_PREFIX.test(v)) return false;
    if (PLACEHOLDER_VALUE.test(v) || /^[a-z]+(?:[_-][a-z]+)*$/.test(v) || /^\d+(?:\.\d+)*$/.test(v))
      return false;
    if (/^(?:https?|ftp|file):\/\//i.test(v) || /^[./~]/.test(v)) return false;
    if (/passw(?:or)?d|pwd|passphrase/.test(a.key)) return v.length >= 8 && looksRandom(v, 2.5);
    return v.length >= 16 && looksRandom(v, 3.5);
  },
};

const privateKey: DetectorDef = (() => {
  const header = /-----BEGIN ((?:[A-Z0-9]{1,10} ){0,3})PRIVATE KEY( BLOCK)?-----/y;
  return {
    ...info({
      id: 'private_key',
      description:
        'PEM private key block (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted, PGP) from BEGIN to END, with at least 64 base64 characters of body; literal or JSON-escaped newlines',
      check: 'structure',
    }),
    tier: 0,
    triggers: [{ type: 'literal', literal: '-----BEGIN ' }],
    find(text, pos, ctx) {
      header.lastIndex = pos;
      const h = header.exec(text);
      if (!h) return null;
      const bodyStart = pos + h[0].length;
      // The next END marker is searched once per scan and reused by later headers, so a text full of
      // headers without an END stays linear.
      let endMarker = ctx.memo.get('pem_end') ?? -2;
      if (endMarker !== -1 && endMarker < bodyStart) {
        endMarker = text.indexOf('-----END ', bodyStart);
        ctx.memo.set('pem_end', endMarker);
      }
      let end: number;
      // The END line must close the same kind of block and only key material may sit in between;
      // otherwise (a mention in prose, a truncated paste) only the body that follows counts.
      const closes =
        endMarker >= 0 &&
        endMarker - bodyStart <= 32768 &&
        text.startsWith(`-----END ${h[1] ?? ''}PRIVATE KEY`, endMarker) &&
        /^[A-Za-z0-9+/=\s\\:,-]*$/.test(text.slice(bodyStart, endMarker));
      if (closes) {
        const close = text.indexOf('-----', endMarker + 9);
        end = close >= 0 && close - endMarker < 64 ? close + 5 : endMarker + 9;
      } else {
        // Truncated block: cover the body that follows (base64, newlines, escaped newlines, headers).
        end = bodyStart;
        const limit = Math.min(text.length, bodyStart + 32768);
        while (end < limit && /[A-Za-z0-9+/=\s\\:,-]/.test(text.charAt(end))) end++;
      }
      const body = text.slice(bodyStart, end).replace(/\\n|\\r|[^A-Za-z0-9+/]/g, '');
      if (body.length < 64) return null;
      return { start: pos, end };
    },
  };
})();

const jwt = prefixed({
  id: 'jwt',
  description:
    'three base64url segments (eyJ…) whose header decodes to JSON with "alg" and payload to a JSON object',
  check: 'structure',
  prefixes: ['eyJ'],
  pattern: /eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{2,65536}\.[A-Za-z0-9_-]{0,8192}(?![A-Za-z0-9_.-])/,
  validate: isDecodableJwt,
});

const DB_SCHEMES = new Set([
  'postgres',
  'postgresql',
  'mysql',
  'mariadb',
  'mongodb',
  'mongodb+srv',
  'redis',
  'rediss',
  'mssql',
  'sqlserver',
  'oracle',
  'cockroachdb',
  'clickhouse',
  'couchdb',
  'cassandra',
  'neo4j',
  'neo4j+s',
  'bolt',
  'db2',
  'jdbc:postgresql',
  'jdbc:mysql',
  'jdbc:sqlserver',
  'postgresql+psycopg2',
  'mysql+pymysql',
  'ldap',
  'ldaps',
]);
const BROKER_SCHEMES = new Set([
  'amqp',
  'amqps',
  'kafka',
  'nats',
  'mqtt',
  'mqtts',
  'stomp',
  'stomps',
  'sqs',
  'pulsar',
]);
const PLACEHOLDER_PASSWORD =
  /^(?:password|passwd|pass|pwd|secret|changeme|\*+|x+|\.\.\.|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\{\{[^}]*\}\}|%s|:?[a-z_]+)$/i;

function urlPassword(id: string, schemes: Set<string>, what: string): DetectorDef {
  return {
    ...info({
      id,
      description: `${what} URL (${[...schemes].slice(0, 6).join(', ')}, …) with user:password@host; the finding covers the password`,
      check: 'structure',
    }),
    tier: 0,
    triggers: [{ type: 'literal', literal: '://' }],
    find(text, pos) {
      let s = pos;
      while (s > 0 && pos - s < 24 && /[A-Za-z0-9+:]/.test(text.charAt(s - 1))) s--;
      const scheme = text.slice(s, pos).toLowerCase();
      if (!schemes.has(scheme)) return null;
      const authStart = pos + 3;
      const limit = Math.min(text.length, authStart + 512);
      let at = -1;
      let colon = -1;
      for (let i = authStart; i < limit; i++) {
        const c = text.charAt(i);
        if (
          c === '/' ||
          c === '?' ||
          c === '#' ||
          c === ' ' ||
          c === '\n' ||
          c === '\t' ||
          c === '"' ||
          c === "'"
        )
          break;
        if (c === ':' && colon < 0) colon = i;
        if (c === '@') at = i;
      }
      if (colon < 0 || at < colon + 2) return null;
      const password = text.slice(colon + 1, at);
      if (PLACEHOLDER_PASSWORD.test(password)) return null;
      return { start: colon + 1, end: at };
    },
  };
}

export const SECRET_DETECTORS: readonly DetectorDef[] = [
  prefixed({
    id: 'openai_project_key',
    label: 'OPENAI_KEY',
    description: '`sk-proj-` + url-safe body carrying the `T3BlbkFJ` marker',
    check: 'structure',
    prefixes: ['sk-proj-'],
    pattern: new RegExp(`sk-proj-[A-Za-z0-9_-]{40,300}${B}`),
    validate: (v) => v.includes('T3BlbkFJ'),
  }),
  prefixed({
    id: 'openai_service_account_key',
    label: 'OPENAI_KEY',
    description: '`sk-svcacct-` + url-safe body carrying the `T3BlbkFJ` marker',
    check: 'structure',
    prefixes: ['sk-svcacct-'],
    pattern: new RegExp(`sk-svcacct-[A-Za-z0-9_-]{40,300}${B}`),
    validate: (v) => v.includes('T3BlbkFJ'),
  }),
  prefixed({
    id: 'openai_admin_key',
    label: 'OPENAI_ADMIN_KEY',
    description: '`sk-admin-` + url-safe body carrying the `T3BlbkFJ` marker',
    check: 'structure',
    prefixes: ['sk-admin-'],
    pattern: new RegExp(`sk-admin-[A-Za-z0-9_-]{40,300}${B}`),
    validate: (v) => v.includes('T3BlbkFJ'),
  }),
  prefixed({
    id: 'openai_legacy_key',
    label: 'OPENAI_KEY',
    description: '`sk-` + 20 alphanumerics + `T3BlbkFJ` + 20 alphanumerics',
    check: 'structure',
    prefixes: ['sk-'],
    pattern: new RegExp(`sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}${B}`),
  }),
  prefixed({
    id: 'anthropic_api_key',
    description: '`sk-ant-api03-` + 93 url-safe characters + `AA`',
    check: 'structure',
    prefixes: ['sk-ant-api03-'],
    pattern: new RegExp(`sk-ant-api03-[A-Za-z0-9_-]{93}AA${B}`),
  }),
  prefixed({
    id: 'anthropic_admin_key',
    description: '`sk-ant-admin01-` + 93 url-safe characters + `AA`',
    check: 'structure',
    prefixes: ['sk-ant-admin01-'],
    pattern: new RegExp(`sk-ant-admin01-[A-Za-z0-9_-]{93}AA${B}`),
  }),
  prefixed({
    id: 'google_api_key',
    description: '`AIza` + 35 url-safe characters (Gemini, Maps, Firebase…)',
    check: 'shape',
    prefixes: ['AIza'],
    pattern: new RegExp(`AIza[A-Za-z0-9_-]{35}${B}`),
  }),
  prefixed({
    id: 'google_oauth_client_secret',
    description: '`GOCSPX-` + 28 url-safe characters',
    check: 'shape',
    prefixes: ['GOCSPX-'],
    pattern: new RegExp(`GOCSPX-[A-Za-z0-9_-]{28}${B}`),
  }),
  prefixed({
    id: 'aws_access_key_id',
    description:
      '`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 base32 characters (documentation keys ending in EXAMPLE excluded)',
    check: 'shape',
    prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    pattern: /(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9_])/,
  }),
  awsSecret,
  prefixed({
    id: 'aws_bedrock_key',
    description:
      'long-lived `ABSK` + 109–269 base64, or short-lived `bedrock-api-key-` carrying base64 of bedrock.amazonaws.com',
    check: 'structure',
    prefixes: ['ABSK', 'bedrock-api-key-'],
    pattern:
      /(?:ABSK[A-Za-z0-9+/]{109,269}|bedrock-api-key-[A-Za-z0-9+/]{40,4000})={0,2}(?![A-Za-z0-9+/=_-])/,
    validate: (v) => v.startsWith('ABSK') || v.includes('YmVkcm9jay5hbWF6b25hd3MuY29t'),
  }),
  anchoredBefore(
    {
      id: 'azure_client_secret',
      description: 'Entra ID client secret: 3 characters, a digit, `Q~`, 31–34 characters',
      check: 'shape',
    },
    '~',
    5,
    /[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/,
  ),
  prefixed({
    id: 'azure_storage_account_key',
    description:
      '`AccountKey=` + 86 base64 characters + `==` in a storage connection string; the finding covers the key',
    check: 'structure',
    prefixes: ['AccountKey='],
    pattern: /AccountKey=[A-Za-z0-9+/]{86}==/,
    skip: 'AccountKey='.length,
  }),
  prefixed({
    id: 'github_token',
    description:
      '`ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 30 base62 + 6-character base62 CRC32 of those 30 (validated)',
    check: 'checksum',
    prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    pattern: /gh[pousr]_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/,
    validate: (v) => isValidCrc32Base62Token(v.slice(4)),
  }),
  prefixed({
    id: 'github_fine_grained_token',
    description: '`github_pat_` + 22 base62 + `_` + 59 base62',
    check: 'structure',
    prefixes: ['github_pat_'],
    pattern: /github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}(?![A-Za-z0-9_])/,
  }),
  gitlab(
    'gitlab_token',
    ['glpat-'],
    '`glpat-` + 20 (classic) or routable body whose CRC32 (base36) is validated',
  ),
  gitlab('gitlab_deploy_token', ['gldt-'], '`gldt-` deploy token; routable CRC32 validated'),
  gitlab('gitlab_runner_token', ['glrt-'], '`glrt-` runner authentication token; routable CRC32 validated'),
  gitlab('gitlab_ci_job_token', ['glcbt-'], '`glcbt-` CI/CD job token; routable CRC32 validated'),
  gitlab('gitlab_trigger_token', ['glptt-'], '`glptt-` pipeline trigger token; routable CRC32 validated'),
  gitlab(
    'gitlab_other_token',
    ['glft-', 'glimt-', 'glagent-', 'gloas-', 'glffct-', 'glsoat-'],
    'other GitLab tokens (feed, incoming mail, agent, OAuth secret, feature flags, SCIM); routable CRC32 validated',
  ),
  prefixed({
    id: 'npm_token',
    description: '`npm_` + 30 base62 + 6-character base62 CRC32 (validated)',
    check: 'checksum',
    prefixes: ['npm_'],
    pattern: /npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/,
    validate: (v) => isValidCrc32Base62Token(v.slice(4)),
  }),
  prefixed({
    id: 'pypi_token',
    description: '`pypi-AgEIcHlwaS5vcmc` (macaroon header naming pypi.org) + 50–1000 characters',
    check: 'structure',
    prefixes: ['pypi-AgEIcHlwaS5vcmc'],
    pattern: new RegExp(`pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000}${B}`),
  }),
  prefixed({
    id: 'slack_token',
    description: '`xoxb-`/`xoxp-`/`xoxa-`/`xoxr-`/`xoxe-`/`xoxs-`/`xoxo-` + numeric ids + body',
    check: 'shape',
    prefixes: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxe-', 'xoxs-', 'xoxo-'],
    pattern: new RegExp(`xox[abeoprs]-[0-9]{1,13}-[A-Za-z0-9-]{10,200}${B}`),
  }),
  prefixed({
    id: 'slack_app_token',
    description: '`xapp-<digit>-<id>-<digits>-<hex>`',
    check: 'shape',
    prefixes: ['xapp-'],
    pattern: /xapp-[0-9]-[A-Z0-9]{8,14}-[0-9]{10,14}-[a-z0-9]{30,80}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'slack_webhook',
    description: 'hooks.slack.com/services|workflows|triggers/… webhook URL',
    check: 'shape',
    prefixes: ['hooks.slack.com/'],
    pattern:
      /hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_]{8,12}\/[A-Za-z0-9_]{8,12}\/[A-Za-z0-9_]{20,32}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'discord_webhook',
    description: 'discord(app).com/api/webhooks/<id>/<token> webhook URL',
    check: 'shape',
    prefixes: ['discord.com/api/webhooks/', 'discordapp.com/api/webhooks/'],
    pattern: new RegExp(`discord(?:app)?\\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,72}${B}`),
  }),
  prefixed({
    id: 'stripe_secret_key',
    description: '`sk_live_`/`sk_test_`/`sk_prod_` + 10–247 alphanumerics',
    check: 'shape',
    prefixes: ['sk_live_', 'sk_test_', 'sk_prod_'],
    pattern: /sk_(?:live|test|prod)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'stripe_restricted_key',
    description: '`rk_live_`/`rk_test_`/`rk_prod_` + 10–247 alphanumerics',
    check: 'shape',
    prefixes: ['rk_live_', 'rk_test_', 'rk_prod_'],
    pattern: /rk_(?:live|test|prod)_[A-Za-z0-9]{10,247}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'stripe_webhook_secret',
    description: '`whsec_` + 32–64 base64 characters',
    check: 'shape',
    prefixes: ['whsec_'],
    pattern: /whsec_[A-Za-z0-9+/=]{32,64}(?![A-Za-z0-9_+/=])/,
  }),
  prefixed({
    id: 'huggingface_token',
    description: '`hf_` + 34 letters',
    check: 'shape',
    prefixes: ['hf_'],
    pattern: /hf_[A-Za-z]{34}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'huggingface_org_token',
    description: '`api_org_` + 34 letters',
    check: 'shape',
    prefixes: ['api_org_'],
    pattern: /api_org_[A-Za-z]{34}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'groq_api_key',
    description: '`gsk_` + 52 alphanumerics',
    check: 'shape',
    prefixes: ['gsk_'],
    pattern: /gsk_[A-Za-z0-9]{52}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'xai_api_key',
    description: '`xai-` + 80 alphanumerics',
    check: 'shape',
    prefixes: ['xai-'],
    pattern: /xai-[A-Za-z0-9]{80}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'openrouter_api_key',
    description: '`sk-or-v1-` + 64 hex',
    check: 'shape',
    prefixes: ['sk-or-v1-'],
    pattern: /sk-or-v1-[a-f0-9]{64}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'perplexity_api_key',
    description: '`pplx-` + 48 alphanumerics',
    check: 'shape',
    prefixes: ['pplx-'],
    pattern: /pplx-[A-Za-z0-9]{48}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'replicate_api_token',
    description: '`r8_` + 37 alphanumerics',
    check: 'shape',
    prefixes: ['r8_'],
    pattern: /r8_[A-Za-z0-9]{37}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'elevenlabs_api_key',
    description: '`sk_` + 48 lower-case hex',
    check: 'shape',
    prefixes: ['sk_'],
    pattern: /sk_[a-f0-9]{48}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'langsmith_api_key',
    description: '`lsv2_pt_`/`lsv2_sk_` + 32 hex + `_` + 10 hex',
    check: 'shape',
    prefixes: ['lsv2_pt_', 'lsv2_sk_'],
    pattern: /lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'pinecone_api_key',
    description: '`pcsk_` + 5–6 alphanumerics + `_` + 63 alphanumerics',
    check: 'shape',
    prefixes: ['pcsk_'],
    pattern: /pcsk_[A-Za-z0-9]{5,6}_[A-Za-z0-9]{63}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'databricks_token',
    description: '`dapi` + 32 hex (optional `-N`)',
    check: 'shape',
    prefixes: ['dapi'],
    pattern: new RegExp(`dapi[a-f0-9]{32}(?:-[0-9])?${B}`),
  }),
  prefixed({
    id: 'digitalocean_token',
    description: '`dop_v1_`/`doo_v1_`/`dor_v1_` + 64 hex',
    check: 'shape',
    prefixes: ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    pattern: /do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'dockerhub_token',
    description: '`dckr_pat_` + 27 or `dckr_oat_` + 32 url-safe characters',
    check: 'shape',
    prefixes: ['dckr_pat_', 'dckr_oat_'],
    pattern: new RegExp(`dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,32}${B}`),
  }),
  prefixed({
    id: 'shopify_token',
    description: '`shpat_`/`shpca_`/`shppa_`/`shpss_` + 32 hex',
    check: 'shape',
    prefixes: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    pattern: /shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'sendgrid_api_key',
    description: '`SG.` + 22 + `.` + 43 url-safe characters',
    check: 'shape',
    prefixes: ['SG.'],
    pattern: new RegExp(`SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}${B}`),
  }),
  prefixed({
    id: 'twilio_api_key',
    description: '`SK` + 32 lower-case hex',
    check: 'shape',
    prefixes: ['SK'],
    pattern: /SK[0-9a-f]{32}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'vault_token',
    description: 'HashiCorp Vault `hvs.`/`hvb.`/`hvr.` + 24–300 url-safe characters',
    check: 'shape',
    prefixes: ['hvs.', 'hvb.', 'hvr.'],
    pattern: new RegExp(`hv[sbr]\\.[A-Za-z0-9_-]{24,300}${B}`),
  }),
  anchoredBefore(
    {
      id: 'terraform_cloud_token',
      description: 'Terraform Cloud / Enterprise: 14 alphanumerics + `.atlasv1.` + 60–70 characters',
      check: 'shape',
    },
    '.atlasv1.',
    14,
    /[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])/,
  ),
  prefixed({
    id: 'doppler_token',
    description: '`dp.pt.`/`dp.st.`/`dp.sa.`/`dp.ct.`/`dp.scim.`/`dp.audit.` + 40–44 alphanumerics',
    check: 'shape',
    prefixes: ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'],
    pattern: /dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'onepassword_service_account_token',
    description: '`ops_eyJ` + 250–4000 base64 characters (JSON in base64)',
    check: 'structure',
    prefixes: ['ops_eyJ'],
    pattern: /ops_eyJ[A-Za-z0-9+/=_-]{250,4000}(?![A-Za-z0-9+/=_-])/,
  }),
  prefixed({
    id: 'grafana_service_account_token',
    description: '`glsa_` + 32 alphanumerics + `_` + 8 hex',
    check: 'shape',
    prefixes: ['glsa_'],
    pattern: /glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'grafana_cloud_token',
    description: '`glc_eyJ` + base64 JSON',
    check: 'structure',
    prefixes: ['glc_eyJ'],
    pattern: /glc_eyJ[A-Za-z0-9+/]{32,400}={0,2}(?![A-Za-z0-9+/=_])/,
  }),
  prefixed({
    id: 'sentry_token',
    description: '`sntryu_` + 64 hex (user) or `sntrys_eyJ` + base64 (org)',
    check: 'shape',
    prefixes: ['sntryu_', 'sntrys_eyJ'],
    pattern: /(?:sntryu_[a-f0-9]{64}|sntrys_eyJ[A-Za-z0-9+/=_]{50,400})(?![A-Za-z0-9+/=_])/,
  }),
  prefixed({
    id: 'linear_api_key',
    description: '`lin_api_` + 40 alphanumerics',
    check: 'shape',
    prefixes: ['lin_api_'],
    pattern: /lin_api_[A-Za-z0-9]{40}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'notion_token',
    description: '`ntn_` + 11 digits + 35 alphanumerics',
    check: 'shape',
    prefixes: ['ntn_'],
    pattern: /ntn_[0-9]{11}[A-Za-z0-9]{35}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'postman_api_key',
    description: '`PMAK-` + 24 hex + `-` + 34 hex',
    check: 'shape',
    prefixes: ['PMAK-'],
    pattern: /PMAK-[a-f0-9]{24}-[a-f0-9]{34}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'atlassian_api_token',
    description: '`ATATT3` + 150–220 url-safe characters',
    check: 'shape',
    prefixes: ['ATATT3'],
    pattern: /ATATT3[A-Za-z0-9_=-]{150,220}(?![A-Za-z0-9_=-])/,
  }),
  prefixed({
    id: 'heroku_api_key',
    description: '`HRKU-AA` + 58 url-safe characters',
    check: 'shape',
    prefixes: ['HRKU-AA'],
    pattern: new RegExp(`HRKU-AA[A-Za-z0-9_-]{58}${B}`),
  }),
  prefixed({
    id: 'age_secret_key',
    description: '`AGE-SECRET-KEY-1` + 58 Bech32 characters; Bech32 checksum and 32-byte payload validated',
    check: 'checksum',
    prefixes: ['AGE-SECRET-KEY-1'],
    pattern: /AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}(?![A-Za-z0-9_])/,
    validate: isValidAgeSecretKey,
  }),
  privateKey,
  jwt,
  urlPassword('database_url_password', DB_SCHEMES, 'database'),
  urlPassword('broker_url_password', BROKER_SCHEMES, 'message broker'),
  anchoredBefore(
    { id: 'mailchimp_api_key', description: '32 hex + `-us` + 1–2 digits', check: 'shape' },
    '-us',
    32,
    /[0-9a-f]{32}-us[0-9]{1,2}(?![A-Za-z0-9_])/,
  ),
  {
    ...info({
      id: 'telegram_bot_token',
      description: '8–10 digit bot id + `:AA` + 33 url-safe characters',
      check: 'shape',
    }),
    tier: 0,
    triggers: [{ type: 'literal', literal: ':AA' }],
    find(text, pos) {
      let s = pos;
      while (s > 0 && pos - s < 10 && text.charCodeAt(s - 1) >= 48 && text.charCodeAt(s - 1) <= 57) s--;
      if (pos - s < 8 || (s > 0 && /[A-Za-z0-9_]/.test(text.charAt(s - 1)))) return null;
      const m = /:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])/y;
      m.lastIndex = pos;
      const r = m.exec(text);
      return r ? { start: s, end: pos + r[0].length } : null;
    },
  },
  prefixed({
    id: 'square_token',
    description: '`sq0atp-` + 22 or `sq0csp-` + 43 url-safe characters',
    check: 'shape',
    prefixes: ['sq0atp-', 'sq0csp-'],
    pattern: new RegExp(`sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}${B}`),
  }),
  prefixed({
    id: 'alibaba_access_key',
    description: '`LTAI` + 12–20 alphanumerics',
    check: 'shape',
    prefixes: ['LTAI'],
    pattern: /LTAI[A-Za-z0-9]{12,20}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'openshift_token',
    description: '`sha256~` + 43 url-safe characters',
    check: 'shape',
    prefixes: ['sha256~'],
    pattern: new RegExp(`sha256~[A-Za-z0-9_-]{43}${B}`),
  }),
  prefixed({
    id: 'dynatrace_token',
    description: '`dt0c01.` + 24 + `.` + 64 upper-case alphanumerics',
    check: 'shape',
    prefixes: ['dt0c01.'],
    pattern: /dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'pulumi_token',
    description: '`pul-` + 40 hex',
    check: 'shape',
    prefixes: ['pul-'],
    pattern: /pul-[a-f0-9]{40}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'supabase_token',
    description: '`sbp_` + 40 hex',
    check: 'shape',
    prefixes: ['sbp_'],
    pattern: /sbp_[a-f0-9]{40}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'planetscale_token',
    description: '`pscale_pw_`/`pscale_tkn_`/`pscale_oauth_` + 32–64 characters',
    check: 'shape',
    prefixes: ['pscale_pw_', 'pscale_tkn_', 'pscale_oauth_'],
    pattern: /pscale_(?:pw|tkn|oauth)_[A-Za-z0-9_=.-]{32,64}(?![A-Za-z0-9_=.-])/,
  }),
  prefixed({
    id: 'newrelic_user_key',
    description: '`NRAK-` + 27 upper-case alphanumerics',
    check: 'shape',
    prefixes: ['NRAK-'],
    pattern: /NRAK-[A-Z0-9]{27}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'nuget_api_key',
    description: '`oy2` + 43 lower-case alphanumerics',
    check: 'shape',
    prefixes: ['oy2'],
    pattern: /oy2[a-z0-9]{43}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'rubygems_api_key',
    description: '`rubygems_` + 48 hex',
    check: 'shape',
    prefixes: ['rubygems_'],
    pattern: /rubygems_[a-f0-9]{48}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'tailscale_key',
    description: '`tskey-<kind>-` + id + `-` + secret',
    check: 'shape',
    prefixes: ['tskey-'],
    pattern: /tskey-(?:api|auth|client|scim|webhook)-[A-Za-z0-9]{8,20}-[A-Za-z0-9]{20,40}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'langfuse_secret_key',
    description: '`sk-lf-` + UUID',
    check: 'shape',
    prefixes: ['sk-lf-'],
    pattern: /sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'flyio_token',
    description: '`fo1_` + 43 url-safe characters',
    check: 'shape',
    prefixes: ['fo1_'],
    pattern: new RegExp(`fo1_[A-Za-z0-9_-]{43}${B}`),
  }),
  prefixed({
    id: 'readme_api_key',
    description: '`rdme_` + 70 lower-case alphanumerics',
    check: 'shape',
    prefixes: ['rdme_'],
    pattern: /rdme_[a-z0-9]{70}(?![A-Za-z0-9_])/,
  }),
  prefixed({
    id: 'prefect_api_key',
    description: '`pnu_` + 36 alphanumerics',
    check: 'shape',
    prefixes: ['pnu_'],
    pattern: /pnu_[A-Za-z0-9]{36}(?![A-Za-z0-9_])/,
  }),
  genericSecret,
];
