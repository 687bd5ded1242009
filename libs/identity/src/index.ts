export {
  generateApiKey,
  hashApiKey,
  keyPrefix,
  looksLikeApiKey,
  extractApiKey,
  safeEqual,
  KEY_PREFIX,
} from './api-keys';
export { loadOrCreateMasterKey, MASTER_KEY_FILE, type MasterKey } from './master-key';
export {
  IdentityRepository,
  IdentityError,
  type Team,
  type ApiKeyRecord,
  type KeyLookup,
  type KeyLookupSource,
} from './identity.repository';
export { ApiKeyAuthenticator } from './api-key.authenticator';
export { MASTER_KEY_ID, DEFAULT_TEAM_ID, type Principal, type FirewallOverride } from './principal';
export {
  AdminKeyStrategy,
  AdminAuthGuard,
  API_KEY_AUTHENTICATOR,
  ADMIN_STRATEGY,
} from './nest/admin-key.strategy';
