import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateApiKey } from './api-keys';

export type MasterKey = { key: string; source: 'environment' | 'data-folder' | 'generated' };

export const MASTER_KEY_FILE = 'master.key';

/**
 * The bootstrap admin key: `SLUICE_MASTER_KEY` when set; otherwise the one kept in the data folder
 * (mode 0600), generated on the first start. The caller prints a generated key once.
 */
export function loadOrCreateMasterKey(fromEnv: string | undefined, dataDir: string): MasterKey {
  if (fromEnv) return { key: fromEnv, source: 'environment' };
  const file = join(dataDir, MASTER_KEY_FILE);
  if (existsSync(file)) {
    const mode = statSync(file).mode & 0o777;
    if (mode !== 0o600) chmodSync(file, 0o600);
    return { key: readFileSync(file, 'utf8').trim(), source: 'data-folder' };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = generateApiKey();
  // `wx` fails if another process created it meanwhile; then theirs wins.
  try {
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    return { key: readFileSync(file, 'utf8').trim(), source: 'data-folder' };
  }
  return { key, source: 'generated' };
}
