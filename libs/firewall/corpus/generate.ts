// Generates the labelled firewall corpus (corpus.jsonl) from a fixed seed:
//   node -r @swc-node/register libs/firewall/corpus/generate.ts
// Every sample is synthetic (see generators.ts). Labels are exact spans of the planted values; a text
// with no label must produce no finding.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listDetectors } from '../src/detectors/registry';
import {
  ALNUM,
  B64,
  HEX,
  INVALID,
  LOWER_ALNUM,
  type Rng,
  URLSAFE,
  VALID,
  mixed,
  pick,
  seeded,
  str,
} from './generators';

export interface CorpusLabel {
  detector: string;
  start: number;
  end: number;
}
export interface CorpusCase {
  id: string;
  category: 'positive' | 'invalid_checksum' | 'near_miss' | 'mixed' | 'hard';
  /** For positives and invalid samples: the detector the sample was made for. */
  target?: string;
  text: string;
  labels: CorpusLabel[];
}

const SLOT = '\u0000';

function plant(template: string, value: string, detector: string): { text: string; label: CorpusLabel } {
  const at = template.indexOf(SLOT);
  const text = template.slice(0, at) + value + template.slice(at + 1);
  return { text, label: { detector, start: at, end: at + value.length } };
}

const SECRET_TEMPLATES: readonly ((name: string) => string)[] = [
  (n) => `# local settings\n${n}=${SLOT}\nLOG_LEVEL=debug\n`,
  (n) => `export ${n}="${SLOT}"`,
  (n) => `{\n  "service": "billing",\n  "${n.toLowerCase()}": "${SLOT}",\n  "region": "eu-west-1"\n}`,
  () => `const client = new Client({\n  apiKey: '${SLOT}',\n  timeout: 30_000,\n});`,
  () => `curl -sS -H "Authorization: Bearer ${SLOT}" https://api.vendor.io/v1/me | jq .`,
  () => `2024-06-01T10:11:12.345Z DEBUG http: retrying upstream call with credential ${SLOT} (attempt 2/3)`,
  () => `Here is the key I use locally: ${SLOT} - why do I still get a 401 from the API?`,
  (n) => `services:\n  worker:\n    environment:\n      ${n}: ${SLOT}\n      QUEUE: jobs\n`,
];

/** Templates for formats that only exist inside a given context. */
const CONTEXT_TEMPLATES: Readonly<Record<string, readonly string[]>> = {
  aws_secret_key: [
    `[default]\nregion = us-east-1\naws_secret_access_key = ${SLOT}\n`,
    `AWS_SECRET_ACCESS_KEY=${SLOT}`,
    `{"Credentials": {"SecretAccessKey": "${SLOT}", "SessionToken": null}}`,
    `aws_secret_key: "${SLOT}"`,
  ],
  generic_secret: [
    `DB_PASSWORD=${SLOT}`,
    `{"client_id": "web-app", "client_secret": "${SLOT}"}`,
    `  password: "${SLOT}"`,
    `SECRET_KEY = '${SLOT}'`,
    `api_token=${SLOT} ./deploy.sh --prod`,
    `settings.signing_key = "${SLOT}"`,
  ],
  database_url_password: [
    `DATABASE_URL=postgres://app_user:${SLOT}@db-1.internal:5432/orders`,
    `mongodb+srv://reporting:${SLOT}@cluster0.mongodb.net/analytics?retryWrites=true`,
    `spring.datasource.url=mysql://root:${SLOT}@10.2.0.15:3306/shop`,
    `REDIS_URL=redis://default:${SLOT}@cache.internal:6379/0`,
  ],
  broker_url_password: [
    `CELERY_BROKER_URL=amqp://worker:${SLOT}@rabbit.internal:5672/jobs`,
    `nats://ingest:${SLOT}@nats-0.nats:4222`,
    `mqtts://device-gw:${SLOT}@broker.iot.internal:8883`,
  ],
  azure_storage_account_key: [
    `AZURE_STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=${SLOT};EndpointSuffix=core.windows.net"`,
  ],
  slack_webhook: [`SLACK_WEBHOOK_URL=https://${SLOT}`, `post("https://${SLOT}", json={"text": msg})`],
  discord_webhook: [`DISCORD_WEBHOOK=https://${SLOT}`],
  private_key: [
    `$ cat ~/.ssh/id_deploy\n${SLOT}\n$ ssh-add ~/.ssh/id_deploy`,
    `Here is the key file content:\n\n${SLOT}\n\nWhy does openssl say it is invalid?`,
  ],
};

const PII_FIELDS: Readonly<Record<string, string>> = {
  email: 'email',
  phone: 'phone',
  credit_card: 'card_number',
  iban: 'iban',
  us_ssn: 'ssn',
  ipv4: 'client_ip',
  ipv6: 'client_ip',
  china_resident_id: 'id_card',
  india_aadhaar: 'aadhaar',
  india_pan: 'pan',
  uk_nino: 'ni_number',
  uk_nhs: 'nhs_number',
  spain_dni: 'dni',
  spain_nie: 'nie',
  italy_codice_fiscale: 'codice_fiscale',
  brazil_cpf: 'cpf',
  brazil_cnpj: 'cnpj',
  netherlands_bsn: 'bsn',
  korea_rrn: 'rrn',
  singapore_nric: 'nric',
  bitcoin_address: 'payout_address',
  ethereum_address: 'wallet',
};

const PII_TEMPLATES: readonly ((field: string) => string)[] = [
  (f) => `{"customer_id": 1042, "name": "Jane Roe", "${f}": "${SLOT}", "plan": "pro"}`,
  (f) => `2024-06-01 10:11:12 INFO profile updated user=u_1042 ${f}=${SLOT} by=support`,
  (f) => `Please update the record: the correct ${f.replace(/_/g, ' ')} is ${SLOT}. Thanks!`,
  (f) => `id,first,last,${f},created\n1042,Jane,Roe,${SLOT},2024-06-01\n`,
  (f) => `| field | value |\n|---|---|\n| ${f} | ${SLOT} |`,
];

/** Values pasted into prose and markup: quotes, brackets and sentence punctuation right next to them. */
const WRAPPED_TEMPLATES: readonly string[] = [
  `I tried (${SLOT}) but it failed.`,
  `"${SLOT}",`,
  `<td>${SLOT}</td>`,
  `- value: \`${SLOT}\`.`,
  `[${SLOT}]`,
  `it's '${SLOT}'; right?`,
  `Value:${SLOT}`,
  `see ${SLOT}\r\nnext line`,
];

/** Formats whose detector needs surrounding context: never wrapped in bare punctuation. */
const NEEDS_CONTEXT = new Set([
  'aws_secret_key', 'generic_secret', 'database_url_password', 'broker_url_password', 'azure_storage_account_key',
  'netherlands_bsn', 'slack_webhook', 'discord_webhook', 'private_key',
]);

function positive(
  id: string,
  value: string,
  rng: Rng,
  kind: 'secret' | 'pii',
  wrap = true,
): { text: string; labels: CorpusLabel[] } {
  if (wrap && !NEEDS_CONTEXT.has(id) && rng() < 0.3) {
    const tpl = pick(rng, WRAPPED_TEMPLATES);
    const p = plant(tpl, value, id);
    return { text: p.text, labels: [p.label] };
  }
  const one = (p: { text: string; label: CorpusLabel }): { text: string; labels: CorpusLabel[] } => ({
    text: p.text,
    labels: [p.label],
  });
  if (id === 'private_key' && rng() < 0.4) {
    // Service-account style: the PEM inside a JSON string, newlines escaped.
    const escaped = value.replace(/\n/g, '\\n');
    return one(plant(`{"type": "service_account", "private_key": "${SLOT}\\n", "token_uri": "https://oauth2.googleapis.com/token"}`, escaped, id));
  }
  if (id === 'aws_secret_key' && rng() < 0.4) {
    // No naming key: paired with the access key id next to it.
    const keyId = VALID['aws_access_key_id']!(rng);
    const tpl = `creds:\n  id: ${keyId}\n  value: ${SLOT}\n`;
    const planted = plant(tpl, value, id);
    const at = tpl.indexOf(keyId);
    return { text: planted.text, labels: [{ detector: 'aws_access_key_id', start: at, end: at + keyId.length }, planted.label] };
  }
  const ctx = CONTEXT_TEMPLATES[id];
  if (ctx) return one(plant(pick(rng, ctx), value, id));
  if (kind === 'pii') return one(plant(pick(rng, PII_TEMPLATES)(PII_FIELDS[id] ?? id), value, id));
  const name = id.toUpperCase().replace(/_(TOKEN|KEY)$/, '') + '_TOKEN';
  return one(plant(pick(rng, SECRET_TEMPLATES)(name), value, id));
}

const uuid = (r: Rng): string =>
  `${str(r, HEX, 8)}-${str(r, HEX, 4)}-4${str(r, HEX, 3)}-${pick(r, ['8', '9', 'a', 'b'])}${str(r, HEX, 3)}-${str(r, HEX, 12)}`;

/** Texts that look like findings and are not. */
const NEAR_MISSES: Readonly<Record<string, (r: Rng) => string>> = {
  uuid: (r) => `request_id=${uuid(r)} trace=${uuid(r)}`,
  git_sha: (r) => `commit ${str(r, HEX, 40)}\nAuthor: CI Bot <ci@build.local>\n\n    fix: retry on 503`,
  sha256_digest: (r) => `image: registry.internal/api@sha256:${str(r, HEX, 64)}`,
  npm_integrity: (r) => `"integrity": "sha512-${str(r, B64, 86)}=="`,
  base64_blob: (r) => `data:image/png;base64,${str(r, B64, 160)}=`,
  base64_no_context: (r) => `checksum: ${mixed(r, B64, 40)}`,
  hex_etag: (r) => `etag: "${str(r, HEX, 32)}"`,
  aws_doc_example: () => `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
  github_doc_example: () => `Authorization: token gho_16C7e42F292c6912E7710c838347Ae178B4a`,
  masked_token: (r) => `GITHUB_TOKEN=ghp_${'x'.repeat(36)} # ${pick(r, ['set me', 'placeholder'])}`,
  openai_placeholder: () => `OPENAI_API_KEY=sk-your-key-here`,
  env_reference: (r) => pick(r, [`password: process.env.DB_PASSWORD`, 'token = "${GITHUB_TOKEN}"', `api_key: <YOUR_API_KEY>`, `secret: {{ .Values.secret }}`]),
  token_counts: (r) => `max_tokens: ${pick(r, ['1024', '4096', '8192'])}\ntoken_budget: 120000\nauth_method: oauth2`,
  doc_db_url: () => `postgres://user:password@localhost:5432/mydb`,
  private_ips: (r) => `upstream 10.${r() < 0.5 ? 0 : 12}.3.4:8080; peer 192.168.1.20; lo 127.0.0.1; ${pick(r, ['fe80::1', '::1', 'fd12:3456:789a::1'])}`,
  versions: (r) => `node v20.20.2, npm 10.8.2, chart 1.2.3.4.5, build ${str(r, '0123456789', 4)}.${str(r, '0123456789', 2)}`,
  timestamps: (r) => `ts=2024-06-01T10:11:12Z epoch=${1717236672 + Math.floor(r() * 1e6)} ms=1717236672123 date=2024-06-01 time 12:30:00`,
  order_numbers: (r) => `order ORD-2024-${str(r, '0123456789', 6)} invoice INV-${str(r, '0123456789', 8)}`,
  snowflake_ids: (r) => `message_id: ${pick(r, ['1', '2'])}${str(r, '0123456789', 18)}`,
  long_numbers: (r) => `count=${str(r, '123456789', 1)}${str(r, '0123456789', 8)} bytes=${str(r, '123456789', 1)}${str(r, '0123456789', 11)}`,
  hex_colors: (r) => `color: #${str(r, HEX, 6)}; background: #${str(r, HEX, 3)};`,
  ssh_and_at: (r) => `git clone git@github.com:acme/${str(r, LOWER_ALNUM, 6)}.git && open assets/icon@2x.png`,
  example_emails: (r) => `contact ${pick(r, ['jane', 'admin', 'user'])}@example.com or ops@service.test`,
  decorators: () => `import { Injectable } from '@nestjs/common';\n@Injectable()\nexport class TokenService {}`,
  public_key: (r) => `-----BEGIN PUBLIC KEY-----\n${str(r, B64, 64)}\n${str(r, B64, 64)}\n-----END PUBLIC KEY-----`,
  certificate: (r) => `-----BEGIN CERTIFICATE-----\n${str(r, B64, 64)}\n-----END CERTIFICATE-----`,
  ssh_public_key: (r) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${str(r, B64, 43)} deploy@ci`,
  jwt_lookalike: (r) => `eyJ${str(r, URLSAFE, 30)}.${str(r, URLSAFE, 40)}.${str(r, URLSAFE, 43)}`,
  pem_mention: () => `The file must start with -----BEGIN RSA PRIVATE KEY----- and end with the END line.`,
  prefix_words: (r) => `${pick(r, ['skip_', 'ghost', 'skills', 'npm_install', 'hf_hub', 'xoxo', 'AIzaTest'])} ${str(r, ALNUM, 12)} sk-short`,
  random_16_digits: (r) => {
    // Luhn fails by construction: the last digit is shifted off the valid one.
    const d = VALID['credit_card']!(r).replace(/\D/g, '');
    return `ref ${d.slice(0, -1)}${(Number(d.slice(-1)) + 5) % 10}`;
  },
  nine_digits_no_context: (r) => `ticket ${str(r, '123456789', 1)}${str(r, '0123456789', 8)} opened`,
  fictional_phone: () => `call (555) 555-0199 or 555-0123`,
  css_and_paths: () => `/usr/local/lib/node_modules/npm/bin/npm-cli.js:12:5 and margin: 0 auto; padding: 10px 20px;`,
  short_password: () => `password_min_length: 12\npassword: hunter2`,
  uppercase_words: (r) => `STATUS ${pick(r, ['ACTIVE', 'PENDING'])} HTTP2 UTF8 ISO8601 SHA256 A1B2C3 X86_64`,
};

/**
 * Hand-written hard cases, kept fixed: formats out of their usual context, values without a key, numbers
 * in other countries' national formats. Several are expected to be missed or mis-flagged; they keep the
 * figures honest about the limits of pattern detection.
 */
function hardCases(rng: Rng): CorpusCase[] {
  const gh = VALID['github_token']!(rng);
  const hex32 = str(rng, HEX, 32);
  const cohere = mixed(rng, ALNUM, 40);
  const session = uuid(rng);
  const sha = str(rng, HEX, 40);
  const raw: [string, [string, string][]][] = [
    ['my password is Tr0ub4dor&3 so please log in for me', [['generic_secret', 'Tr0ub4dor&3']]],
    [`COHERE_API_KEY=${cohere}`, [['generic_secret', cohere]]],
    [`api-key: ${hex32}`, [['generic_secret', hex32]]],
    [`session_token: ${session}`, [['generic_secret', session]]],
    [`commit_token = ${sha}`, []],
    ['AUTH0_DOMAIN=acme.eu.auth0.com', []],
    ['auth_header_name = "X-Api-Key-Override-Name"', []],
    ['his social is 536221234, please verify', [['us_ssn', '536221234']]],
    ['appelez-moi au 06 12 34 56 78 demain', [['phone', '06 12 34 56 78']]],
    ['call +33 6 12 34 56 78 tomorrow', [['phone', '+33 6 12 34 56 78']]],
    ['Contact: Jane.Doe@Globex.CO.UK', [['email', 'Jane.Doe@Globex.CO.UK']]],
    ['resolver 8.8.8.8:53 timed out', [['ipv4', '8.8.8.8']]],
    ['card 4111.1111.1111.1111 expired', [['credit_card', '4111.1111.1111.1111']]],
    [`token split over lines: ${gh.slice(0, 20)}
${gh.slice(20)}`, [['github_token', `${gh.slice(0, 20)}\n${gh.slice(20)}`]]],
    [`pasted twice: ${gh}${gh}`, [['github_token', gh + gh]]],
    ['IBAN: de89 3704 0044 0532 0130 00', [['iban', 'de89 3704 0044 0532 0130 00']]],
    ['NHS 943 476 5919 attended clinic', [['uk_nhs', '943 476 5919']]],
    ['BSN 111222333', [['netherlands_bsn', '111222333']]],
    ['ip 2001:4860:4860::8888 and [2606:4700::1111]:443', [['ipv6', '2001:4860:4860::8888'], ['ipv6', '2606:4700::1111']]],
    ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----',
      [['private_key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----']]],
    ['version: 4111111111111111 build', [['credit_card', '4111111111111111']]],
    ['pip install transformers==4.41.2 torch==2.3.1', []],
    ['See RFC 5737: 192.0.2.1 and 198.51.100.7 are documentation addresses', []],
    ['SKU AB123456C ships Monday', [['uk_nino', 'AB123456C']]],
  ];
  return raw.map(([text, labels], i) => ({
    id: `hard-${i}`,
    category: 'hard',
    text,
    labels: labels.map(([detector, value]) => {
      const start = text.indexOf(value);
      if (start < 0) throw new Error(`hard case ${i}: ${value} not in text`);
      return { detector, start, end: start + value.length };
    }),
  }));
}

export function generateCorpus(seed = 20261127): CorpusCase[] {
  const rng = seeded(seed);
  const cases: CorpusCase[] = [];
  const detectors = listDetectors();
  for (const d of detectors) {
    const gen = VALID[d.id];
    if (!gen) throw new Error(`no generator for ${d.id}`);
    for (let i = 0; i < 20; i++) {
      const { text, labels } = positive(d.id, gen(rng), rng, d.kind);
      cases.push({ id: `pos-${d.id}-${i}`, category: 'positive', target: d.id, text, labels });
    }
  }
  for (const [id, gen] of Object.entries(INVALID)) {
    const kind = detectors.find((d) => d.id === id)?.kind ?? 'secret';
    for (let i = 0; i < 20; i++) {
      // In their own context only: out of it, a number failing one checksum may rightly be another format.
      const { text } = positive(id, gen(rng), rng, kind, false);
      cases.push({ id: `inv-${id}-${i}`, category: 'invalid_checksum', target: id, text, labels: [] });
    }
  }
  for (const [name, gen] of Object.entries(NEAR_MISSES)) {
    for (let i = 0; i < 10; i++) cases.push({ id: `near-${name}-${i}`, category: 'near_miss', text: gen(rng), labels: [] });
  }
  // Mixed documents: several planted values among near misses and filler, as an agent would send them.
  const fillers = Object.values(NEAR_MISSES);
  for (let i = 0; i < 80; i++) {
    let text = pick(rng, ['# notes\n', '```ts\n', 'Tool result (cat deploy.log):\n', 'User: can you check this config?\n']);
    const labels: CorpusLabel[] = [];
    const parts = 3 + Math.floor(rng() * 6);
    for (let p = 0; p < parts; p++) {
      if (rng() < 0.5) {
        const d = pick(rng, detectors);
        const planted = positive(d.id, VALID[d.id]!(rng), rng, d.kind);
        for (const l of planted.labels) labels.push({ detector: l.detector, start: text.length + l.start, end: text.length + l.end });
        text += planted.text;
      } else {
        text += pick(rng, fillers)(rng);
      }
      text += '\n';
    }
    cases.push({ id: `mixed-${i}`, category: 'mixed', text, labels });
  }
  cases.push(...hardCases(rng));
  return cases;
}

if (require.main === module) {
  const cases = generateCorpus();
  const file = join(__dirname, 'corpus.jsonl');
  writeFileSync(file, cases.map((c) => JSON.stringify(c)).join('\n') + '\n');
  const labels = cases.reduce((n, c) => n + c.labels.length, 0);
  console.log(`wrote ${cases.length} cases, ${labels} labels to ${file}`);
}
