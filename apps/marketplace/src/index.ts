export { createMarketplaceApp } from './marketplace.app';
export { startMarketplaceServer, type MarketplaceServer } from './marketplace.server';
export type { MarketplaceRuntime } from './marketplace.runtime';
