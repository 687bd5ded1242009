// Deterministic generators of valid (and deliberately invalid) samples for every built-in detector.
// Every value is synthetic: random bodies from a seeded PRNG with correct checksums where the format has
// one. None is a live credential or a real person's identifier.
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import {
  IBAN_LENGTHS,
  base58Encode,
  base62,
  bech32Encode,
  convertBits,
  crc32,
  isValidAadhaar,
  isValidBsn,
  isValidCnpj,
  isValidCodiceFiscale,
  isValidCpf,
  isValidKoreaRrn,
  isValidNhs,
  isValidNric,
  isValidSpanishId,
  sha256d,
  toEip55,
} from '../src/validators/checksums';

import { seeded, type Rng } from '@sluice/testing';

export { seeded, type Rng };

export const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
export const HEX = '0123456789abcdef';
export const URLSAFE = ALNUM + '_-';
export const B64 = ALNUM + '+/';
export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';

export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

export function str(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet.charAt(Math.floor(rng() * alphabet.length));
  return out;
}

/** Random string that has at least one upper, one lower and one digit (what real keys look like). */
export function mixed(rng: Rng, alphabet: string, length: number): string {
  for (;;) {
    const s = str(rng, alphabet, length);
    if (/[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s)) return s;
  }
}

export function bytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

function int(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

function b64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

function luhnComplete(partial: string): string {
  for (let d = 0; d <= 9; d++) {
    const s = partial + String(d);
    let sum = 0;
    let dbl = false;
    for (let i = s.length - 1; i >= 0; i--) {
      let v = s.charCodeAt(i) - 48;
      if (dbl) {
        v *= 2;
        if (v > 9) v -= 9;
      }
      sum += v;
      dbl = !dbl;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}

function completeWith(partial: string, alphabet: string, valid: (s: string) => boolean): string | null {
  for (const ch of alphabet) if (valid(partial + ch)) return partial + ch;
  return null;
}

/** Mutates one character of `value` inside [from, to) so a checksum no longer holds. */
export function corrupt(rng: Rng, value: string, from: number, to: number, alphabet: string): string {
  const i = int(rng, from, to - 1);
  const cur = value.charAt(i);
  let next = cur;
  while (next === cur) next = pick(rng, [...alphabet]);
  return value.slice(0, i) + next + value.slice(i + 1);
}

export function githubStyle(rng: Rng, prefix: string): string {
  const random = str(rng, ALNUM, 30);
  return prefix + random + base62(crc32(random), 6);
}

export function gitlabRoutable(rng: Rng, prefix: string): string {
  const random = Buffer.from(bytes(rng, 16)).toString('latin1');
  const payload = `o:${int(rng, 1, 99999).toString(36)}\nu:${int(rng, 1, 9999999).toString(36)}`;
  const encodable = Buffer.concat([Buffer.from(random, 'latin1'), Buffer.from(payload), Buffer.from([payload.length])]);
  const b64 = b64url(encodable);
  const signed = `${prefix}${b64}.01.${b64.length.toString(36).padStart(2, '0')}`;
  return signed + crc32(signed).toString(36).padStart(7, '0');
}

export function ageKey(rng: Rng): string {
  const words = convertBits([...bytes(rng, 32)], 8, 5, true) ?? [];
  return bech32Encode('age-secret-key-', words, 'bech32').toUpperCase();
}

export function jwtToken(rng: Rng): string {
  const header = b64url(JSON.stringify({ alg: pick(rng, ['HS256', 'RS256', 'ES256']), typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({ sub: String(int(rng, 1000, 999999)), iat: 1700000000 + int(rng, 0, 9999999), scope: 'read write' }),
  );
  return `${header}.${payload}.${b64url(bytes(rng, 32))}`;
}

export function pemKey(rng: Rng, kind = pick(rng, ['RSA ', 'EC ', 'OPENSSH ', '', 'ENCRYPTED '])): string {
  const body = Buffer.from(bytes(rng, 180)).toString('base64');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${kind}PRIVATE KEY-----\n${lines.join('\n')}\n-----END ${kind}PRIVATE KEY-----`;
}

export function btcBase58(rng: Rng): string {
  const payload = new Uint8Array(21);
  payload[0] = pick(rng, [0x00, 0x05]);
  payload.set(bytes(rng, 20), 1);
  const check = sha256d(payload).subarray(0, 4);
  const full = new Uint8Array(25);
  full.set(payload);
  full.set(check, 21);
  return base58Encode(full);
}

export function btcBech32(rng: Rng): string {
  if (rng() < 0.5) return bech32Encode('bc', [0, ...(convertBits([...bytes(rng, 20)], 8, 5, true) ?? [])], 'bech32');
  return bech32Encode('bc', [1, ...(convertBits([...bytes(rng, 32)], 8, 5, true) ?? [])], 'bech32m');
}

export function ethAddress(rng: Rng): string {
  return '0x' + toEip55(str(rng, HEX, 40));
}

const CARD_PREFIXES: readonly [string, number][] = [
  ['4', 16], ['4', 16], ['51', 16], ['55', 16], ['2221', 16], ['34', 15], ['37', 15], ['6011', 16], ['65', 16],
  ['3530', 16], ['36', 14], ['62', 16],
];

export function cardNumber(rng: Rng): string {
  const [prefix, len] = pick(rng, CARD_PREFIXES);
  return luhnComplete(prefix + str(rng, DIGITS, len - prefix.length - 1));
}

export function formatCard(rng: Rng, digits: string): string {
  const sep = pick(rng, ['', ' ', '-']);
  if (sep === '') return digits;
  if (digits.length === 15) return [digits.slice(0, 4), digits.slice(4, 10), digits.slice(10)].join(sep);
  return (digits.match(/.{1,4}/g) ?? []).join(sep);
}

export function ibanNumber(rng: Rng): string {
  const country = pick(rng, ['DE', 'GB', 'FR', 'ES', 'IT', 'NL', 'BE', 'CH', 'PL', 'SE', 'IE', 'PT']);
  const len = IBAN_LENGTHS[country] ?? 22;
  const bban = country === 'GB' || country === 'NL' || country === 'IE' ? str(rng, UPPER, 4) + str(rng, DIGITS, len - 8) : str(rng, DIGITS, len - 4);
  const rearranged = bban + country + '00';
  let rem = 0;
  for (const ch of rearranged) {
    const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of v) rem = (rem * 10 + Number(d)) % 97;
  }
  return country + String(98 - rem).padStart(2, '0') + bban;
}

export function formatIban(rng: Rng, iban: string): string {
  return rng() < 0.5 ? iban : (iban.match(/.{1,4}/g) ?? []).join(' ');
}

export function ssn(rng: Rng): string {
  let area = int(rng, 1, 899);
  if (area === 666) area = 667;
  return `${String(area).padStart(3, '0')}-${String(int(rng, 1, 99)).padStart(2, '0')}-${String(int(rng, 1, 9999)).padStart(4, '0')}`;
}

function birthDate(rng: Rng, from = 1950, to = 2005): [number, number, number] {
  return [int(rng, from, to), int(rng, 1, 12), int(rng, 1, 28)];
}

export function chinaId(rng: Rng): string {
  const [y, m, d] = birthDate(rng);
  const body = pick(rng, ['110101', '310104', '440305', '510107']) + String(y) + String(m).padStart(2, '0') + String(d).padStart(2, '0') + str(rng, DIGITS, 3);
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(body.charAt(i)) * (w[i] ?? 0);
  return body + '10X98765432'.charAt(sum % 11);
}

export function aadhaar(rng: Rng): string {
  for (;;) {
    const s = completeWith(String(int(rng, 2, 9)) + str(rng, DIGITS, 10), DIGITS, isValidAadhaar);
    if (s) return `${s.slice(0, 4)} ${s.slice(4, 8)} ${s.slice(8)}`;
  }
}

export function pan(rng: Rng): string {
  return str(rng, UPPER, 3) + pick(rng, [...'PCHABGJLFT']) + str(rng, UPPER, 1) + str(rng, DIGITS, 4) + str(rng, UPPER, 1);
}

export function nino(rng: Rng): string {
  const first = 'ABCEGHJKLMNPRSTWXYZ';
  const second = 'ABCEGHJKLMNPRSTWXYZ';
  for (;;) {
    const prefix = str(rng, first, 1) + str(rng, second, 1);
    if (['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ'].includes(prefix)) continue;
    const digits = str(rng, DIGITS, 6);
    const suffix = pick(rng, ['A', 'B', 'C', 'D']);
    return rng() < 0.5 ? `${prefix}${digits}${suffix}` : `${prefix} ${digits.slice(0, 2)} ${digits.slice(2, 4)} ${digits.slice(4)} ${suffix}`;
  }
}

export function nhs(rng: Rng): string {
  for (;;) {
    const s = completeWith(str(rng, DIGITS, 9), DIGITS, isValidNhs);
    if (s) return `${s.slice(0, 3)} ${s.slice(3, 6)} ${s.slice(6)}`;
  }
}

export function dni(rng: Rng): string {
  return completeWith(str(rng, DIGITS, 8), UPPER, isValidSpanishId) ?? '';
}

export function nie(rng: Rng): string {
  return completeWith(pick(rng, ['X', 'Y', 'Z']) + str(rng, DIGITS, 7), UPPER, isValidSpanishId) ?? '';
}

export function codiceFiscale(rng: Rng): string {
  const [y, m, d] = birthDate(rng);
  const partial =
    str(rng, UPPER, 6) + String(y % 100).padStart(2, '0') + 'ABCDEHLMPRST'.charAt(m - 1) +
    String(d + (rng() < 0.5 ? 40 : 0)).padStart(2, '0') + str(rng, UPPER, 1) + str(rng, DIGITS, 3);
  return completeWith(partial, UPPER, isValidCodiceFiscale) ?? '';
}

export function cpf(rng: Rng): string {
  for (;;) {
    const base = str(rng, DIGITS, 9);
    for (let c = 0; c < 100; c++) {
      const s = base + String(c).padStart(2, '0');
      if (isValidCpf(s)) return `${s.slice(0, 3)}.${s.slice(3, 6)}.${s.slice(6, 9)}-${s.slice(9)}`;
    }
  }
}

export function cnpj(rng: Rng): string {
  for (;;) {
    const base = str(rng, DIGITS, 8) + '0001';
    for (let c = 0; c < 100; c++) {
      const s = base + String(c).padStart(2, '0');
      if (isValidCnpj(s)) return `${s.slice(0, 2)}.${s.slice(2, 5)}.${s.slice(5, 8)}/${s.slice(8, 12)}-${s.slice(12)}`;
    }
  }
}

export function bsn(rng: Rng): string {
  for (;;) {
    const s = completeWith(String(int(rng, 1, 9)) + str(rng, DIGITS, 7), DIGITS, isValidBsn);
    if (s) return s;
  }
}

export function koreaRrn(rng: Rng): string {
  for (;;) {
    const [y, m, d] = birthDate(rng, 1950, 2015);
    const sex = y >= 2000 ? pick(rng, ['3', '4']) : pick(rng, ['1', '2']);
    const partial = String(y % 100).padStart(2, '0') + String(m).padStart(2, '0') + String(d).padStart(2, '0') + sex + str(rng, DIGITS, 5);
    const s = completeWith(partial, DIGITS, isValidKoreaRrn);
    if (s) return `${s.slice(0, 6)}-${s.slice(6)}`;
  }
}

export function nric(rng: Rng): string {
  for (;;) {
    const s = completeWith(pick(rng, ['S', 'T', 'F', 'G']) + str(rng, DIGITS, 7), UPPER, isValidNric);
    if (s) return s;
  }
}

export function phoneNumber(rng: Rng): string {
  for (;;) {
    const form = int(rng, 0, 5);
    const n = (k: number): string => str(rng, DIGITS, k);
    const area = String(int(rng, 2, 9)) + n(2);
    const exch = String(int(rng, 2, 9)) + n(2);
    let s: string;
    if (form === 0) s = `(${area}) ${exch}-${n(4)}`;
    else if (form === 1) s = `${area}-${exch}-${n(4)}`;
    else if (form === 2) s = `+1 ${area} ${exch} ${n(4)}`;
    else if (form === 3) s = `+44 20 7${n(3)} ${n(4)}`;
    else if (form === 4) s = `+49 30 ${n(8)}`;
    else s = `+91 9${n(4)} ${n(5)}`;
    const parsed = parsePhoneNumberFromString(s, 'US');
    if (parsed?.isValid()) return s;
  }
}

const FIRST = ['john', 'maria', 'li', 'aisha', 'pedro', 'olga', 'kenji', 'fatima', 'lucas', 'emma', 'noah', 'sofia'];
const LAST = ['smith', 'garcia', 'wang', 'khan', 'silva', 'ivanova', 'tanaka', 'haddad', 'martin', 'rossi'];
const DOMAINS = ['acme-corp.io', 'globex.com', 'initech.net', 'umbrella.co.uk', 'mail.hooli.xyz', 'stark-industries.de'];

export function emailAddress(rng: Rng): string {
  const sep = pick(rng, ['.', '_', '', '+billing.']);
  return `${pick(rng, FIRST)}${sep}${pick(rng, LAST)}${rng() < 0.3 ? String(int(rng, 1, 99)) : ''}@${pick(rng, DOMAINS)}`;
}

export function publicIpv4(rng: Rng): string {
  for (;;) {
    const a = int(rng, 1, 223);
    if ([10, 127, 0, 100, 169, 172, 192, 198, 203].includes(a)) continue;
    return `${a}.${int(rng, 0, 255)}.${int(rng, 0, 255)}.${int(rng, 1, 254)}`;
  }
}

export function publicIpv6(rng: Rng): string {
  const g = (): string => int(rng, 0, 0xffff).toString(16);
  return rng() < 0.5
    ? `2a0${int(rng, 0, 9)}:${g()}:${g()}:${g()}::${g()}`
    : `240${int(rng, 0, 9)}:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}:${g()}`;
}

function withMarker(rng: Rng, prefix: string, half: number): string {
  return prefix + str(rng, URLSAFE, half) + 'T3BlbkFJ' + str(rng, URLSAFE, half);
}

/** A valid sample per detector id. */
export const VALID: Readonly<Record<string, (rng: Rng) => string>> = {
  openai_project_key: (r) => withMarker(r, 'sk-proj-', 74),
  openai_service_account_key: (r) => withMarker(r, 'sk-svcacct-', 74),
  openai_admin_key: (r) => withMarker(r, 'sk-admin-', 58),
  openai_legacy_key: (r) => `sk-${mixed(r, ALNUM, 20)}T3BlbkFJ${mixed(r, ALNUM, 20)}`,
  anthropic_api_key: (r) => `sk-ant-api03-${str(r, URLSAFE, 93)}AA`,
  anthropic_admin_key: (r) => `sk-ant-admin01-${str(r, URLSAFE, 93)}AA`,
  google_api_key: (r) => `AIza${str(r, URLSAFE, 35)}`,
  google_oauth_client_secret: (r) => `GOCSPX-${str(r, URLSAFE, 28)}`,
  aws_access_key_id: (r) => pick(r, ['AKIA', 'ASIA']) + str(r, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16),
  aws_secret_key: (r) => mixed(r, B64, 40),
  aws_bedrock_key: (r) => `ABSK${str(r, B64, 132)}`,
  azure_client_secret: (r) => `${str(r, ALNUM, 3)}${int(r, 0, 9)}Q~${str(r, ALNUM + '_~.-', 34)}`,
  azure_storage_account_key: (r) => `${str(r, B64, 86)}==`,
  github_token: (r) => githubStyle(r, pick(r, ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'])),
  github_fine_grained_token: (r) => `github_pat_${str(r, ALNUM, 22)}_${str(r, ALNUM, 59)}`,
  gitlab_token: (r) => (r() < 0.5 ? gitlabRoutable(r, 'glpat-') : `glpat-${str(r, URLSAFE, 20)}`),
  gitlab_deploy_token: (r) => gitlabRoutable(r, 'gldt-'),
  gitlab_runner_token: (r) => gitlabRoutable(r, 'glrt-'),
  gitlab_ci_job_token: (r) => gitlabRoutable(r, 'glcbt-'),
  gitlab_trigger_token: (r) => `glptt-${str(r, HEX, 40)}`,
  gitlab_other_token: (r) => gitlabRoutable(r, pick(r, ['glft-', 'glimt-', 'glagent-', 'gloas-'])),
  npm_token: (r) => githubStyle(r, 'npm_'),
  pypi_token: (r) => `pypi-AgEIcHlwaS5vcmc${str(r, URLSAFE, 150)}`,
  slack_token: (r) => `${pick(r, ['xoxb', 'xoxp'])}-${str(r, DIGITS, 12)}-${str(r, DIGITS, 13)}-${str(r, ALNUM, 24)}`,
  slack_app_token: (r) => `xapp-1-A${str(r, UPPER_ALNUM, 10)}-${str(r, DIGITS, 13)}-${str(r, HEX, 64)}`,
  slack_webhook: (r) => `hooks.slack.com/services/T${str(r, UPPER_ALNUM, 8)}/B${str(r, UPPER_ALNUM, 10)}/${str(r, ALNUM, 24)}`,
  discord_webhook: (r) => `discord.com/api/webhooks/${str(r, DIGITS, 18)}/${str(r, URLSAFE, 68)}`,
  stripe_secret_key: (r) => `sk_${pick(r, ['live', 'test'])}_${str(r, ALNUM, 99)}`,
  stripe_restricted_key: (r) => `rk_live_${str(r, ALNUM, 99)}`,
  stripe_webhook_secret: (r) => `whsec_${str(r, ALNUM, 32)}`,
  huggingface_token: (r) => `hf_${str(r, LETTERS, 34)}`,
  huggingface_org_token: (r) => `api_org_${str(r, LETTERS, 34)}`,
  groq_api_key: (r) => `gsk_${str(r, ALNUM, 52)}`,
  xai_api_key: (r) => `xai-${str(r, ALNUM, 80)}`,
  openrouter_api_key: (r) => `sk-or-v1-${str(r, HEX, 64)}`,
  perplexity_api_key: (r) => `pplx-${str(r, ALNUM, 48)}`,
  replicate_api_token: (r) => `r8_${str(r, ALNUM, 37)}`,
  elevenlabs_api_key: (r) => `sk_${str(r, HEX, 48)}`,
  langsmith_api_key: (r) => `lsv2_${pick(r, ['pt', 'sk'])}_${str(r, HEX, 32)}_${str(r, HEX, 10)}`,
  pinecone_api_key: (r) => `pcsk_${str(r, ALNUM, 6)}_${str(r, ALNUM, 63)}`,
  databricks_token: (r) => `dapi${str(r, HEX, 32)}`,
  digitalocean_token: (r) => `${pick(r, ['dop', 'doo'])}_v1_${str(r, HEX, 64)}`,
  dockerhub_token: (r) => `dckr_pat_${str(r, URLSAFE, 27)}`,
  shopify_token: (r) => `${pick(r, ['shpat', 'shpss'])}_${str(r, HEX, 32)}`,
  sendgrid_api_key: (r) => `SG.${str(r, URLSAFE, 22)}.${str(r, URLSAFE, 43)}`,
  twilio_api_key: (r) => `SK${str(r, HEX, 32)}`,
  vault_token: (r) => `hvs.${str(r, URLSAFE, 90)}`,
  terraform_cloud_token: (r) => `${str(r, ALNUM, 14)}.atlasv1.${str(r, ALNUM, 67)}`,
  doppler_token: (r) => `dp.pt.${str(r, ALNUM, 43)}`,
  onepassword_service_account_token: (r) => `ops_${b64url(JSON.stringify({ signInAddress: 'my.1password.com', userAuth: { method: 'SRPg-4096', alg: 'PBES2g-HS256', iterations: 650000, salt: b64url(bytes(r, 16)) }, email: `${str(r, LOWER_ALNUM, 12)}@1passwordserviceaccounts.com`, srpX: str(r, HEX, 64), muk: { alg: 'A256GCM', ext: true, k: b64url(bytes(r, 32)), key_ops: ['encrypt', 'decrypt'], kty: 'oct', kid: 'mp' }, secretKey: `A3-${str(r, UPPER_ALNUM, 6)}-${str(r, UPPER_ALNUM, 11)}`, throttleSecret: { seed: str(r, HEX, 64), deviceUuid: str(r, LOWER_ALNUM, 26) }, deviceUuid: str(r, LOWER_ALNUM, 26) }))}`,
  grafana_service_account_token: (r) => `glsa_${str(r, ALNUM, 32)}_${str(r, HEX, 8)}`,
  grafana_cloud_token: (r) => `glc_${b64url(JSON.stringify({ o: String(int(r, 100000, 999999)), n: `stack-${str(r, LOWER_ALNUM, 6)}`, k: str(r, ALNUM, 24), m: { r: 'us' } })).replace(/[-_]/g, 'A')}`,
  sentry_token: (r) => `sntryu_${str(r, HEX, 64)}`,
  linear_api_key: (r) => `lin_api_${str(r, ALNUM, 40)}`,
  notion_token: (r) => `ntn_${str(r, DIGITS, 11)}${str(r, ALNUM, 35)}`,
  postman_api_key: (r) => `PMAK-${str(r, HEX, 24)}-${str(r, HEX, 34)}`,
  atlassian_api_token: (r) => `ATATT3${str(r, URLSAFE, 186)}`,
  heroku_api_key: (r) => `HRKU-AA${str(r, URLSAFE, 58)}`,
  age_secret_key: (r) => ageKey(r),
  private_key: (r) => pemKey(r),
  jwt: (r) => jwtToken(r),
  database_url_password: (r) => mixed(r, ALNUM + '!*', 18),
  broker_url_password: (r) => mixed(r, ALNUM, 16),
  mailchimp_api_key: (r) => `${str(r, HEX, 32)}-us${int(r, 1, 21)}`,
  telegram_bot_token: (r) => `${str(r, DIGITS, 10)}:AA${str(r, URLSAFE, 33)}`,
  square_token: (r) => `sq0atp-${str(r, URLSAFE, 22)}`,
  alibaba_access_key: (r) => `LTAI${str(r, ALNUM, 20)}`,
  openshift_token: (r) => `sha256~${str(r, URLSAFE, 43)}`,
  dynatrace_token: (r) => `dt0c01.${str(r, UPPER_ALNUM, 24)}.${str(r, UPPER_ALNUM, 64)}`,
  pulumi_token: (r) => `pul-${str(r, HEX, 40)}`,
  supabase_token: (r) => `sbp_${str(r, HEX, 40)}`,
  planetscale_token: (r) => `pscale_pw_${str(r, URLSAFE, 43)}`,
  newrelic_user_key: (r) => `NRAK-${str(r, UPPER_ALNUM, 27)}`,
  nuget_api_key: (r) => `oy2${str(r, LOWER_ALNUM, 43)}`,
  rubygems_api_key: (r) => `rubygems_${str(r, HEX, 48)}`,
  tailscale_key: (r) => `tskey-auth-${str(r, ALNUM, 12)}-${str(r, ALNUM, 32)}`,
  langfuse_secret_key: (r) => `sk-lf-${str(r, HEX, 8)}-${str(r, HEX, 4)}-${str(r, HEX, 4)}-${str(r, HEX, 4)}-${str(r, HEX, 12)}`,
  flyio_token: (r) => `fo1_${str(r, URLSAFE, 43)}`,
  readme_api_key: (r) => `rdme_${str(r, LOWER_ALNUM, 70)}`,
  prefect_api_key: (r) => `pnu_${str(r, ALNUM, 36)}`,
  generic_secret: (r) => mixed(r, ALNUM + '!#%^&*', 24),
  email: emailAddress,
  phone: phoneNumber,
  credit_card: (r) => formatCard(r, cardNumber(r)),
  iban: (r) => formatIban(r, ibanNumber(r)),
  us_ssn: ssn,
  ipv4: publicIpv4,
  ipv6: publicIpv6,
  china_resident_id: chinaId,
  india_aadhaar: aadhaar,
  india_pan: pan,
  uk_nino: nino,
  uk_nhs: nhs,
  spain_dni: dni,
  spain_nie: nie,
  italy_codice_fiscale: codiceFiscale,
  brazil_cpf: cpf,
  brazil_cnpj: cnpj,
  netherlands_bsn: bsn,
  korea_rrn: koreaRrn,
  singapore_nric: nric,
  bitcoin_address: (r) => (r() < 0.5 ? btcBase58(r) : btcBech32(r)),
  ethereum_address: ethAddress,
};

/**
 * Samples of the right shape whose offline check fails (one character changed in the checked part), for
 * the detectors that have such a check. The scanner must not report them.
 */
export const INVALID: Readonly<Record<string, (rng: Rng) => string>> = {
  github_token: (r) => corrupt(r, githubStyle(r, 'ghp_'), 34, 40, ALNUM),
  npm_token: (r) => corrupt(r, githubStyle(r, 'npm_'), 34, 40, ALNUM),
  gitlab_token: (r) => {
    const t = gitlabRoutable(r, 'glpat-');
    return corrupt(r, t, t.length - 7, t.length, LOWER_ALNUM);
  },
  age_secret_key: (r) => {
    const k = ageKey(r);
    return corrupt(r, k, k.length - 6, k.length, 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L');
  },
  jwt: (r) => `eyJ${str(r, URLSAFE, 30)}.${str(r, URLSAFE, 40)}.${str(r, URLSAFE, 43)}`,
  credit_card: (r) => {
    const c = cardNumber(r);
    return c.slice(0, -1) + String((Number(c.slice(-1)) + 1) % 10);
  },
  iban: (r) => {
    const i = ibanNumber(r);
    return i.slice(0, 2) + String((Number(i.slice(2, 4)) + 1) % 100).padStart(2, '0') + i.slice(4);
  },
  us_ssn: (r) => pick(r, ['000', '666', '9' + str(r, DIGITS, 2)]) + '-' + str(r, '123456789', 2) + '-' + str(r, '123456789', 4),
  china_resident_id: (r) => {
    const id = chinaId(r);
    return id.slice(0, 17) + (id.endsWith('0') ? '1' : '0');
  },
  india_aadhaar: (r) => {
    const a = aadhaar(r);
    return a.slice(0, -1) + String((Number(a.slice(-1)) + 1) % 10);
  },
  uk_nhs: (r) => {
    const a = nhs(r);
    return a.slice(0, -1) + String((Number(a.slice(-1)) + 1) % 10);
  },
  spain_dni: (r) => {
    const d = dni(r);
    return d.slice(0, 8) + (d.endsWith('A') ? 'B' : 'A');
  },
  spain_nie: (r) => {
    const d = nie(r);
    return d.slice(0, 8) + (d.endsWith('A') ? 'B' : 'A');
  },
  italy_codice_fiscale: (r) => {
    const c = codiceFiscale(r);
    return c.slice(0, 15) + (c.endsWith('A') ? 'B' : 'A');
  },
  brazil_cpf: (r) => {
    const c = cpf(r);
    return c.slice(0, -1) + String((Number(c.slice(-1)) + 1) % 10);
  },
  brazil_cnpj: (r) => {
    const c = cnpj(r);
    return c.slice(0, -1) + String((Number(c.slice(-1)) + 1) % 10);
  },
  netherlands_bsn: (r) => {
    const c = bsn(r);
    return c.slice(0, -1) + String((Number(c.slice(-1)) + 1) % 10);
  },
  korea_rrn: (r) => {
    const c = koreaRrn(r);
    return c.slice(0, -1) + String((Number(c.slice(-1)) + 1) % 10);
  },
  singapore_nric: (r) => {
    const c = nric(r);
    return c.slice(0, 8) + (c.endsWith('A') ? 'B' : 'A');
  },
  bitcoin_address: (r) => {
    const a = btcBase58(r);
    return corrupt(r, a, a.length - 4, a.length, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz');
  },
  ethereum_address: (r) => {
    const a = ethAddress(r);
    // Flip the case of one letter: the EIP-55 checksum no longer holds.
    const i = [...a].findIndex((ch, k) => k > 2 && /[a-fA-F]/.test(ch));
    const ch = a.charAt(i);
    const flipped = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
    return a.slice(0, i) + flipped + a.slice(i + 1);
  },
};
