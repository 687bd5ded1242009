import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as v from '../src/validators/checksums';
import { VALID, INVALID, seeded } from '../corpus/generators';

describe('checksums', () => {
  it('crc32 matches the zlib reference value', () => {
    assert.equal(v.crc32('The quick brown fox jumps over the lazy dog'), 0x414fa339);
    assert.equal(v.crc32(''), 0);
  });

  it('GitHub/npm CRC32 base62 tokens', () => {
    assert.equal(v.isValidCrc32Base62Token('qkJaB6MffYVzZXWqmcoF49yrUxP3wf0LsakP'), true);
    // GitHub's documentation example: right shape, wrong checksum.
    assert.equal(v.isValidCrc32Base62Token('16C7e42F292c6912E7710c838347Ae178B4a'), false);
    assert.equal(v.isValidCrc32Base62Token('short'), false);
  });

  it('GitLab routable tokens: CRC32 over the whole token and the declared payload length', () => {
    const rng = seeded(7);
    const t = VALID['gitlab_token']!(rng);
    const routable = t.includes('.') ? t : VALID['gitlab_deploy_token']!(rng);
    assert.equal(v.isValidGitlabRoutableToken(routable), true);
    assert.equal(
      v.isValidGitlabRoutableToken(routable.slice(0, -1) + (routable.endsWith('0') ? '1' : '0')),
      false,
    );
    assert.equal(v.isValidGitlabRoutableToken('glpat-abcdefghijklmnopqrst'), false);
  });

  it('Luhn and card issuer ranges', () => {
    assert.equal(v.luhn('4111111111111111'), true);
    assert.equal(v.luhn('4111111111111112'), false);
    assert.equal(v.isValidCard('4111111111111111'), true);
    assert.equal(v.isValidCard('378282246310005'), true);
    assert.equal(v.isValidCard('5555555555554444'), true);
    // Luhn-valid but no issuer uses a leading 9 / this length.
    assert.equal(v.isValidCard('9111111111111110'), false);
    assert.equal(v.isValidCard('41111111111111'), false);
    assert.equal(v.cardBrand('6011111111111117'), 'discover');
  });

  it('IBAN mod-97 and per-country length', () => {
    assert.equal(v.isValidIban('DE89370400440532013000'), true);
    assert.equal(v.isValidIban('GB82WEST12345698765432'), true);
    assert.equal(v.isValidIban('GB82WEST12345698765431'), false);
    assert.equal(v.isValidIban('DE8937040044053201300'), false);
    assert.equal(v.isValidIban('QQ89370400440532013000'), false);
  });

  it('Verhoeff and Aadhaar', () => {
    assert.equal(v.verhoeff('2363'), true);
    assert.equal(v.verhoeff('2364'), false);
    assert.equal(v.isValidAadhaar('234123412346'), true);
    assert.equal(v.isValidAadhaar('234123412347'), false);
    assert.equal(v.isValidAadhaar('123412341234'), false);
  });

  it('India PAN structure', () => {
    assert.equal(v.isValidPan('ABCPE1234F'), true);
    assert.equal(v.isValidPan('ABCXE1234F'), false);
    assert.equal(v.isValidPan('ABCPE12345'), false);
  });

  it('US SSN rejects invalid areas, groups and serials', () => {
    assert.equal(v.isValidSsn('536221234'), true);
    for (const bad of [
      '000121234',
      '666121234',
      '900121234',
      '999121234',
      '536001234',
      '536220000',
      '078051120',
    ]) {
      assert.equal(v.isValidSsn(bad), false, bad);
    }
  });

  it('China resident id: birth date and MOD 11-2', () => {
    assert.equal(v.isValidChinaId('11010519491231002X'), true);
    assert.equal(v.isValidChinaId('110105194912310021'), false);
    assert.equal(v.isValidChinaId('110105194902300027'), false); // 30 February
  });

  it('UK NHS and NINO', () => {
    assert.equal(v.isValidNhs('9434765919'), true);
    assert.equal(v.isValidNhs('9434765918'), false);
    assert.equal(v.isValidNhs('1111111111'), false);
    assert.equal(v.isValidNino('AB123456C'), true);
    assert.equal(v.isValidNino('BG123456A'), false);
    assert.equal(v.isValidNino('AB123456E'), false);
    assert.equal(v.isValidNino('DA123456A'), false);
  });

  it('Spain DNI and NIE control letters', () => {
    assert.equal(v.isValidSpanishId('12345678Z'), true);
    assert.equal(v.isValidSpanishId('12345678A'), false);
    assert.equal(v.isValidSpanishId('X1234567L'), true);
    assert.equal(v.isValidSpanishId('X1234567A'), false);
  });

  it('Italy codice fiscale control character', () => {
    assert.equal(v.isValidCodiceFiscale('RSSMRA85T10A562S'), true);
    assert.equal(v.isValidCodiceFiscale('RSSMRA85T10A562T'), false);
    assert.equal(v.isValidCodiceFiscale('RSSMRA85Z10A562S'), false);
  });

  it('Brazil CPF and CNPJ', () => {
    assert.equal(v.isValidCpf('52998224725'), true);
    assert.equal(v.isValidCpf('52998224726'), false);
    assert.equal(v.isValidCpf('11111111111'), false);
    assert.equal(v.isValidCnpj('11222333000181'), true);
    assert.equal(v.isValidCnpj('11222333000182'), false);
  });

  it('Netherlands BSN 11-proef', () => {
    assert.equal(v.isValidBsn('111222333'), true);
    assert.equal(v.isValidBsn('123456789'), false);
  });

  it('South Korea RRN: date and check digit', () => {
    assert.equal(v.isValidKoreaRrn('9001011123401'), true);
    assert.equal(v.isValidKoreaRrn('9001011123402'), false);
    assert.equal(v.isValidKoreaRrn('9013011123401'), false);
  });

  it('Singapore NRIC/FIN series', () => {
    assert.equal(v.isValidNric('S1234567D'), true);
    assert.equal(v.isValidNric('T1234567J'), true);
    assert.equal(v.isValidNric('F1234567N'), true);
    assert.equal(v.isValidNric('G1234567X'), true);
    assert.equal(v.isValidNric('S1234567A'), false);
  });

  it('Bitcoin Base58Check and Bech32/Bech32m', () => {
    assert.equal(v.isValidBitcoinBase58('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'), true);
    assert.equal(v.isValidBitcoinBase58('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'), true);
    assert.equal(v.isValidBitcoinBase58('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3'), false);
    assert.equal(v.isValidBitcoinBech32('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'), true);
    assert.equal(v.isValidBitcoinBech32('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp'), false);
    assert.equal(
      v.isValidBitcoinBech32('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0'),
      true,
    );
    // Mixed case is invalid Bech32.
    assert.equal(v.isValidBitcoinBech32('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mDQ'), false);
  });

  it('Ethereum EIP-55', () => {
    assert.equal(v.isValidEthereumAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'), true);
    assert.equal(v.isValidEthereumAddress('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD'), false);
    assert.equal(v.isValidEthereumAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'), true);
    assert.equal(v.isValidEthereumAddress('0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', false), false);
  });

  it('age secret keys: Bech32 checksum and 32-byte payload', () => {
    const words = v.convertBits(
      Array.from({ length: 32 }, (_, i) => i),
      8,
      5,
      true,
    )!;
    const key = v.bech32Encode('age-secret-key-', words, 'bech32').toUpperCase();
    assert.equal(v.isValidAgeSecretKey(key), true);
    assert.equal(v.isValidAgeSecretKey(key.slice(0, -1) + (key.endsWith('Q') ? 'P' : 'Q')), false);
    const short = v.bech32Encode('age-secret-key-', words.slice(0, 40), 'bech32').toUpperCase();
    assert.equal(v.isValidAgeSecretKey(short), false);
  });

  it('JWT decodability', () => {
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    assert.equal(v.isDecodableJwt(`${enc({ alg: 'HS256', typ: 'JWT' })}.${enc({ sub: '1' })}.c2ln`), true);
    assert.equal(v.isDecodableJwt(`${enc({ typ: 'JWT' })}.${enc({ sub: '1' })}.c2ln`), false);
    assert.equal(v.isDecodableJwt(`eyJhbGciOi.eyJzdWIiOi.c2ln`), false);
  });

  it('Shannon entropy', () => {
    assert.equal(v.shannonEntropy('aaaa'), 0);
    assert.equal(v.shannonEntropy('abcd'), 2);
  });

  it('every generated valid sample of a checksummed format passes and every corrupted one fails', () => {
    const rng = seeded(42);
    const checks: Record<string, (s: string) => boolean> = {
      github_token: (s) => v.isValidCrc32Base62Token(s.slice(4)),
      npm_token: (s) => v.isValidCrc32Base62Token(s.slice(4)),
      age_secret_key: v.isValidAgeSecretKey,
      credit_card: (s) => v.isValidCard(s.replace(/[ -]/g, '')),
      iban: (s) => v.isValidIban(s.replace(/ /g, '')),
      china_resident_id: v.isValidChinaId,
      india_aadhaar: (s) => v.isValidAadhaar(s.replace(/ /g, '')),
      uk_nhs: (s) => v.isValidNhs(s.replace(/ /g, '')),
      spain_dni: v.isValidSpanishId,
      spain_nie: v.isValidSpanishId,
      italy_codice_fiscale: v.isValidCodiceFiscale,
      brazil_cpf: (s) => v.isValidCpf(s.replace(/\D/g, '')),
      brazil_cnpj: (s) => v.isValidCnpj(s.replace(/\D/g, '')),
      netherlands_bsn: v.isValidBsn,
      korea_rrn: (s) => v.isValidKoreaRrn(s.replace('-', '')),
      singapore_nric: v.isValidNric,
      ethereum_address: (s) => v.isValidEthereumAddress(s, false),
    };
    for (const [id, check] of Object.entries(checks)) {
      for (let i = 0; i < 50; i++) {
        const good = VALID[id]!(rng);
        assert.equal(check(good), true, `${id} valid ${good}`);
        const bad = INVALID[id]!(rng);
        assert.equal(check(bad), false, `${id} invalid ${bad}`);
      }
    }
  });
});
